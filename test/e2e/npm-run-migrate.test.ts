import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { legacyTable, T0 } from '../support/legacy-table.ts';

// The script as a process over a table of the layout before counters; the migration itself, in
// process and under concurrent consumes, is test/integration/migration.test.ts.
const run = promisify(execFile);
const clock = manualClock(T0);
let api: TestApi;
let oldLayout: ReturnType<typeof legacyTable>['oldLayout'];
let countersOfTable: ReturnType<typeof legacyTable>['countersOfTable'];
beforeAll(async () => {
  api = await createTestApi({ clock });
  ({ oldLayout, countersOfTable } = legacyTable(api));
});
beforeEach(() => clock.set(T0));

describe('a table written by the layout before counters', () => {
  it('`npm run migrate` moves every app once; a second run moves none and changes nothing', async () => {
    const { apps, consume, usage } = await oldLayout(6, [
      { name: 'one', used: 2, bound: true },
      { name: 'two', bound: true },
      { name: 'three', bound: false },
    ]);
    const before = (await countersOfTable()).length;
    const env = { ...process.env, TABLE_NAME: api.db.tableName, DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') };
    const first = await run(process.execPath, ['scripts/migrate.ts'], { env });
    expect(first.stdout.trim()).toMatch(/: \d+ apps, 3 moved to counters, \d+ already on counters$/);
    expect((await countersOfTable()).length).toBe(before + 3);
    const snapshot = await countersOfTable();
    const second = await run(process.execPath, ['scripts/migrate.ts'], { env });
    expect(second.stdout.trim()).toMatch(/, 0 moved to counters, \d+ already on counters$/);
    expect(await countersOfTable()).toEqual(snapshot);
    const [one] = apps as [(typeof apps)[number]];
    expect(await usage(one.appId)).toMatchObject({ used: 2, remaining: 4 });
    expect((await consume(one.key, 4)).body.remaining).toBe(0);
  });
});
