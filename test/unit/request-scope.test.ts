import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#store/table/client.ts';
import { DEADLINE_MARGIN_MS, withRequestDeadline, writeMayHaveLanded } from '#store/table/request-scope.ts';
import { isTransientFailure } from '#store/table/sdk-failures.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const client = createDocumentClient({ region: 'us-east-1' });
const get = () => client.send(new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } }));

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({ Item: { pk: 'a' } });
});

describe("a request's deadline", () => {
  it('lets calls through while time is left, with nothing written', async () => {
    await withRequestDeadline(DEADLINE_MARGIN_MS + 60_000, async () => {
      await expect(get()).resolves.toMatchObject({ Item: { pk: 'a' } });
      expect(writeMayHaveLanded()).toBe(false);
    });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
  });

  it('sends nothing once the time left is within the margin, and fails as a timeout would', async () => {
    const failure = await withRequestDeadline(DEADLINE_MARGIN_MS - 1, () => get().catch((error: unknown) => error));
    expect(failure).toMatchObject({ name: 'TimeoutError', message: "The request's deadline has passed" });
    expect(isTransientFailure(failure)).toBe(true);
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('does not apply outside a request (the guard, the scripts)', async () => {
    await expect(get()).resolves.toMatchObject({ Item: { pk: 'a' } });
    expect(writeMayHaveLanded()).toBe(false);
  });
});
