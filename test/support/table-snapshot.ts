import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#store/table/db.ts';

/**
 * Every item of a test table, in a stable order: compared before and after rejected requests to
 * prove they changed nothing. (A Scan is fine here: it is a test's view, never a request path.)
 */
export const tableSnapshot = async (db: Db): Promise<string[]> => {
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new ScanCommand({ TableName: db.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) items.push(JSON.stringify(item, Object.keys(item).sort()));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort();
};
