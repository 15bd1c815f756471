import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { thresholdAlertKey } from '#store/table/keys.ts';
import { createTestApi, freshProject, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';
import { tokenFor } from '../support/tokens.ts';
import { seedUsageWindow } from '../support/usage-history.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

const MINUTE = 60_000;
const FIRST = Date.parse('2026-11-23T07:00:00.000Z');
const at = (minute: number) => new Date(FIRST + minute * MINUTE).toISOString();

/**
 * An app bound to a quota with one closed window seeded per minute in `minutes` (`used` = the
 * minute + 1), as the stream processor would have written them, and a threshold alert in the same
 * partition, which the history never shows.
 */
const appWithHistory = async (minutes: readonly number[]) => {
  const instance = await newInstance(api);
  const appId = await instance.createApp('historic');
  const quotaId = await instance.createQuota('metered', { call_limits: 100, time_unit: 'MINUTE', time_interval: 1 });
  await instance.bind(quotaId, [appId]);
  const ids = { projectId: instance.project, instanceId: instance.instanceId, appId };
  for (const minute of minutes) {
    const start = FIRST + minute * MINUTE;
    await seedUsageWindow(api.db, {
      ...ids,
      quotaId,
      used: minute + 1,
      limit: 100,
      windowStartMs: start,
      windowEndMs: start + MINUTE,
    });
  }
  await api.db.client.send(
    new PutCommand({
      TableName: api.db.tableName,
      Item: { ...thresholdAlertKey(instance.project, instance.instanceId, appId, FIRST, 80), type: 'threshold-alert' },
    }),
  );
  const history = (query = '') => instance.call('GET', `/apps/${appId}/quota-usage/history${query}`);
  return { ...instance, appId, quotaId, history };
};

const startsOf = (body: { history: Array<{ window_start: string }> }) => body.history.map((w) => w.window_start);

describe("an app's usage history", () => {
  it('lists every closed window newest first, with its quota, limit and use', async () => {
    const w = await appWithHistory([0, 1, 2, 5]);
    const response = await w.history();
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      total: 4,
      size: 4,
      history: [5, 2, 1, 0].map((minute) => ({
        app_quota_id: w.quotaId,
        limit: 100,
        used: minute + 1,
        window_start: at(minute),
        window_end: at(minute + 1),
      })),
    });
  });

  it('answers an empty history for an app with none, and for an app bound to no quota', async () => {
    const w = await appWithHistory([]);
    expect((await w.history()).body).toEqual({ total: 0, size: 0, history: [] });
    const free = await w.createApp('unbound');
    expect((await w.call('GET', `/apps/${free}/quota-usage/history`)).body).toEqual({ total: 0, size: 0, history: [] });
  });

  it('keeps the windows starting at or after from and before to, in either time format', async () => {
    const w = await appWithHistory([0, 1, 2, 3, 4]);
    expect(startsOf((await w.history(`?from=${at(1)}&to=${at(3)}`)).body)).toEqual([at(2), at(1)]);
    expect(startsOf((await w.history(`?from=${at(3)}`)).body)).toEqual([at(4), at(3)]);
    expect(startsOf((await w.history(`?to=${at(1)}`)).body)).toEqual([at(0)]);
    // A window_start read from an answer, sent back, names that very window.
    expect(
      startsOf((await w.history(`?from=${at(4)}&to=${encodeURIComponent('2026-11-23T07:04:00.001Z')}`)).body),
    ).toEqual([at(4)]);
    // The same instants with an offset, and in reset_time's form (UTC).
    const offset = encodeURIComponent('2026-11-23T15:02:00+08:00');
    expect(startsOf((await w.history(`?from=${offset}`)).body)).toEqual([at(4), at(3), at(2)]);
    const spaced = encodeURIComponent('2026-11-23 07:02:00');
    expect(startsOf((await w.history(`?to=${spaced}`)).body)).toEqual([at(1), at(0)]);
    expect((await w.history(`?from=${at(2)}&to=${at(2)}`)).body).toEqual({ total: 0, size: 0, history: [] });
  });

  it('refuses a from or to that is no instant, and a to before from, naming it', async () => {
    const w = await appWithHistory([0]);
    for (const [query, name] of [
      ['?from=yesterday', 'from'],
      ['?to=2026-11-23T07:00:00', 'to'],
      ['?from=2026-02-30%2000:00:00', 'from'],
      ['?from=1700000000000', 'from'],
      [`?from=${at(2)}&to=${at(1)}`, 'to'],
      ['?offset=1.5', 'offset'],
    ] as const) {
      const response = await w.history(query);
      expect(response.status, query).toBe(400);
      expect(response.body, query).toEqual({
        error_code: 'APIG.2012',
        error_msg: `Invalid parameter value,parameterName:${name}. Please refer to the support documentation`,
      });
    }
  });

  it('pages with offset and limit, total counting every window of the range', async () => {
    const minutes = Array.from({ length: 25 }, (_, minute) => minute);
    const w = await appWithHistory(minutes);
    const first = (await w.history()).body;
    expect(first).toMatchObject({ total: 25, size: 20 });
    expect(startsOf(first)).toEqual(minutes.reverse().slice(0, 20).map(at));
    const page = (await w.history('?offset=3&limit=2')).body;
    expect(page).toMatchObject({ total: 25, size: 2 });
    expect(startsOf(page)).toEqual([at(21), at(20)]);
    const ranged = (await w.history(`?from=${at(10)}&offset=14&limit=5`)).body;
    expect(ranged).toMatchObject({ total: 15, size: 1 });
    expect(startsOf(ranged)).toEqual([at(10)]);
  });

  it('answers 404 APIG.3004 for an unknown or deleted app, APIG.3030 for an unknown instance', async () => {
    const w = await appWithHistory([0]);
    const unknown = 'e'.repeat(32);
    const missing = await w.call('GET', `/apps/${unknown}/quota-usage/history`);
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('APIG.3004');
    // Its items wait for their retention, but a deleted app has no history to show.
    expect((await w.call('DELETE', `/apps/${w.appId}`)).status).toBe(204);
    expect((await w.history()).body.error_code).toBe('APIG.3004');
    const noInstance = await api.call(
      'GET',
      `/v2/${w.project}/apigw/instances/${unknown}/apps/${unknown}/quota-usage/history`,
      {
        token: w.token,
      },
    );
    expect(noInstance.status).toBe(404);
    expect(noInstance.body.error_code).toBe('APIG.3030');
  });

  it('needs apig:app:get, and shows nothing of another project', async () => {
    const w = await appWithHistory([0]);
    const url = `${w.base}/apps/${w.appId}/quota-usage/history`;
    const without = await api.call('GET', url, {
      token: await tokenFor(w.project, ['apig:app:list', 'apig:clientQuota:*']),
    });
    expect(without.status).toBe(403);
    expect(without.body.error_code).toBe('APIG.1005');
    const allowed = await api.call('GET', url, { token: await tokenFor(w.project, ['apig:app:get']) });
    expect(allowed.body).toMatchObject({ total: 1, size: 1 });
    const intruder = freshProject();
    const foreign = await api.call('GET', url, { token: await tokenFor(intruder) });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error_code).toBe('APIG.1005');
    const hidden = await api.call('GET', url.replace(`/v2/${w.project}/`, `/v2/${intruder}/`), {
      token: await tokenFor(intruder),
    });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error_code).toBe('APIG.3030');
  });
});
