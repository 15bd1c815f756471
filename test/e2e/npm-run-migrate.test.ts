import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { manualClock } from '../support/clocks.ts';
import { legacyTable, T0 } from '../support/legacy-table.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

// The script as a process over a table of the layout before counters (the DynamoDB of a local
// run: DYNAMODB_ENDPOINT); the migration itself, in process and under concurrent consumes, is
// test/integration/migration.test.ts, and `--stage` is test/unit/migrate-command.test.ts.
const run = promisify(execFile);
const clock = manualClock(T0);
let api: TestApi;
let env: NodeJS.ProcessEnv;
let table: ReturnType<typeof legacyTable>;
beforeAll(async () => {
  api = await createTestApi({ clock });
  table = legacyTable(api);
  env = { ...process.env, TABLE_NAME: api.db.tableName, DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') };
});
beforeEach(() => clock.set(T0));

const migrate = (...args: string[]) => run(process.execPath, ['scripts/migrate.ts', ...args], { env });

const PAGE =
  /^migrate( \(dry run\))?: page \d+: (\d+) items read \((\d+) apps\), (\d+) (moved|to move), (\d+) already on counters$/;

const STOPPED =
  /^npm run migrate: table \S+ at \S+: stopped at page \d+ with \d+ apps, (\d+) moved to counters, \d+ already on counters: run it again to move the rest$/;

/** The progress lines' sums, each line checked to be one: what the pages read and did. */
const pagesOf = (stderr: string) => {
  const lines = stderr.trimEnd().split('\n');
  const parsed = lines.map((line) => {
    const match = PAGE.exec(line);
    if (!match) throw new Error(`not a progress line: ${line}`);
    return { dryRun: match[1] !== undefined, numbers: [2, 3, 4, 6].map((n) => Number(match[n])) };
  });
  const sum = (n: number) => parsed.reduce((total, page) => total + (page.numbers[n] as number), 0);
  return {
    pages: lines.length,
    dryRun: parsed.every((page) => page.dryRun),
    items: sum(0),
    apps: sum(1),
    moved: sum(2),
    onCounters: sum(3),
  };
};

describe('a table written by the layout before counters', () => {
  it('`npm run migrate` moves every app once; a second run moves none and changes nothing', async () => {
    const { apps, consume, usage } = await table.oldLayout(6, [
      { name: 'one', used: 2, bound: true },
      { name: 'two', bound: true },
      { name: 'three', bound: false },
    ]);
    const before = (await table.countersOfTable()).length;
    const first = await migrate();
    expect(first.stdout.trim()).toMatch(/: \d+ apps, 3 moved to counters, \d+ already on counters$/);
    expect(pagesOf(first.stderr)).toMatchObject({ pages: 1, dryRun: false, moved: 3 });
    expect((await table.countersOfTable()).length).toBe(before + 3);
    const snapshot = await table.countersOfTable();
    const second = await migrate();
    expect(second.stdout.trim()).toMatch(/, 0 moved to counters, \d+ already on counters$/);
    expect(await table.countersOfTable()).toEqual(snapshot);
    const [one] = apps as [(typeof apps)[number]];
    expect(await usage(one.appId)).toMatchObject({ used: 2, remaining: 4 });
    expect((await consume(one.key, 4)).body.remaining).toBe(0);
  });

  it('--dry-run counts, page by page, the apps a run would move, and writes nothing; a run then moves them', async () => {
    await table.oldLayout(5, [
      { name: 'left', used: 1, bound: true },
      { name: 'right', bound: true },
      { name: 'loose', bound: false },
      { name: 'spare', bound: false },
    ]);
    const found = await table.census();
    expect(found.oldLayout).toBe(4);
    const snapshot = await tableSnapshot(api.db);

    const dry = await migrate('--dry-run', '--page-size', '4');
    expect(dry.stdout.trim()).toBe(
      `migrate (dry run, nothing written): table ${api.db.tableName} at ${env.DYNAMODB_ENDPOINT}: ` +
        `${found.apps} apps, 4 to move to counters, ${found.onCounters} already on counters`,
    );
    const dryPages = pagesOf(dry.stderr);
    expect(dryPages).toEqual({
      pages: Math.ceil(found.items / 4) + (found.items % 4 === 0 ? 1 : 0),
      dryRun: true,
      items: found.items,
      apps: found.apps,
      moved: 4,
      onCounters: found.onCounters,
    });
    expect(await tableSnapshot(api.db)).toEqual(snapshot);

    const real = await migrate('--page-size', '4');
    expect(real.stdout.trim()).toBe(
      `migrate: table ${api.db.tableName} at ${env.DYNAMODB_ENDPOINT}: ` +
        `${found.apps} apps, 4 moved to counters, ${found.onCounters} already on counters`,
    );
    // The counters it creates are items too, which the Scan reads when they land past where it is.
    const { items, pages, ...realPages } = pagesOf(real.stderr);
    expect(realPages).toEqual({ dryRun: false, apps: found.apps, moved: 4, onCounters: found.onCounters });
    expect(items).toBeGreaterThanOrEqual(found.items);
    expect(items).toBeLessThanOrEqual(found.items + 4);
    expect(pages).toBeGreaterThanOrEqual(dryPages.pages);
    expect(await table.census()).toMatchObject({ oldLayout: 0, onCounters: found.apps });
  });

  it('stopped midway (SIGINT), it says how far it got; run again, it moves the rest, each app once', async () => {
    const moving = Array.from({ length: 12 }, (_, n) => ({ name: `stop${n}`, used: n % 3, bound: n % 4 !== 0 }));
    const { apps, usage } = await table.oldLayout(9, moving);
    const found = await table.census();
    const counters = (await table.countersOfTable()).length;

    // Two items a page: the first line that moved an app is the signal to stop, many apps before the end.
    const child = spawn(process.execPath, ['scripts/migrate.ts', '--page-size', '2'], { env });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/ [1-9]\d* moved,/.test(stderr)) child.kill('SIGINT');
    });
    const code = await new Promise((done) => child.once('close', done));
    expect(code, stderr).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    const stopped = STOPPED.exec(lines.at(-1) ?? '');
    expect(stopped, stderr).not.toBeNull();
    const movedFirst = Number(stopped?.[1]);
    // The page it stopped in has no line of its own: the stop's line counts its moves too.
    expect(movedFirst).toBeGreaterThanOrEqual(pagesOf(lines.slice(0, -1).join('\n')).moved);
    expect(movedFirst).toBeGreaterThan(0);
    expect(movedFirst).toBeLessThan(found.oldLayout);
    expect(await table.census()).toMatchObject({ oldLayout: found.oldLayout - movedFirst });

    const again = await migrate();
    expect(again.stdout.trim()).toBe(
      `migrate: table ${api.db.tableName} at ${env.DYNAMODB_ENDPOINT}: ${found.apps} apps, ${found.oldLayout - movedFirst} moved to counters, ` +
        `${found.onCounters + movedFirst} already on counters`,
    );
    expect(await table.census()).toMatchObject({ oldLayout: 0, onCounters: found.apps });
    expect((await table.countersOfTable()).length).toBe(counters + found.oldLayout);
    for (const app of apps.filter((made) => made.bound)) {
      expect(await usage(app.appId)).toMatchObject({ used: app.used, remaining: 9 - (app.used ?? 0) });
    }
  });
});
