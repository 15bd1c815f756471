import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SDK_SETTINGS } from '#store/table/client.ts';
import { projectKey } from '#store/table/keys.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { injectFaults } from '../support/fault-injector.ts';
import { newInstance } from '../support/fixtures.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

let api: TestApi;
let injected: ReturnType<typeof injectFaults> | undefined;
beforeAll(async () => {
  api = await createTestApi({ limits: { appsPerInstance: 150 } });
});
afterEach(() => {
  injected?.remove();
  injected = undefined;
});

const inject = (...faults: Parameters<typeof injectFaults> extends [unknown, ...infer F] ? F : never) => {
  injected = injectFaults(api.db.client, ...faults);
  return injected;
};

const busy = { error_code: 'CQ.5030', error_msg: 'The service is busy; retry the request later' };

describe('DynamoDB throttling', () => {
  it('is retried by the SDK: one throttled attempt still creates the app, once', async () => {
    const { call } = await newInstance(api);
    const faults = inject({ operation: 'TransactWriteItems', kind: 'throttle', times: 1 });
    expect((await call('POST', '/apps', { name: 'patient' })).status).toBe(201);
    expect(faults.attempts.TransactWriteItems).toBe(2);
    expect((await call('GET', '/apps')).body.total).toBe(1);
  });

  it(`past ${SDK_SETTINGS.maxAttempts} attempts of a create answers 503 CQ.5031 with a client token, having written nothing; its repeat creates`, async () => {
    const { call, base, token } = await newInstance(api);
    const before = await tableSnapshot(api.db);
    const faults = inject({ operation: 'TransactWriteItems', kind: 'throttle' });
    const response = await call('POST', '/apps', { name: 'refused' });
    expect(response).toMatchObject({ status: 503, body: { error_code: 'CQ.5031' }, headers: { 'retry-after': '1' } });
    expect(response.headers['x-client-token']).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(faults.attempts.TransactWriteItems).toBe(SDK_SETTINGS.maxAttempts);
    faults.remove();
    expect(await tableSnapshot(api.db)).toEqual(before);
    const repeated = await api.call('POST', `${base}/apps`, {
      token,
      body: { name: 'refused' },
      headers: { 'x-client-token': response.headers['x-client-token'] as string },
    });
    expect(repeated).toMatchObject({ status: 201, body: { name: 'refused' } });
  });

  it(`past ${SDK_SETTINGS.maxAttempts} attempts of a bind answers 503 CQ.5030 with Retry-After, having written nothing`, async () => {
    const { createApp, createQuota, bind } = await newInstance(api);
    const appId = await createApp('unbound');
    const quotaId = await createQuota('q_throttled');
    const before = await tableSnapshot(api.db);
    const faults = inject({ operation: 'TransactWriteItems', kind: 'throttle' });
    expect(await bind(quotaId, [appId])).toMatchObject({ status: 503, body: busy, headers: { 'retry-after': '1' } });
    expect(faults.attempts.TransactWriteItems).toBe(SDK_SETTINGS.maxAttempts);
    faults.remove();
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});

describe('timeouts', () => {
  it('on every attempt of a bind answer 503 and bind nothing', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const apps = [await createApp('one'), await createApp('two')];
    const quotaId = await createQuota('q_timeout');
    const before = await tableSnapshot(api.db);
    inject({ operation: 'TransactWriteItems', kind: 'timeout' });
    expect((await bind(quotaId, apps)).status).toBe(503);
    injected?.remove();
    expect(await tableSnapshot(api.db)).toEqual(before);
    expect((await call('GET', `/app-quotas/${quotaId}/bound-apps`)).body.total).toBe(0);
  });

  it('of a consume answer 503 and take nothing', async () => {
    const { call, createQuota, bind } = await newInstance(api);
    const app = (await call('POST', '/apps', { name: 'caller' })).body;
    await bind(await createQuota('q_consume', { call_limits: 3 }), [app.id]);
    await call('POST', '/quota-consumptions', { app_key: app.app_key });
    inject({ operation: 'UpdateItem', kind: 'timeout' });
    expect((await call('POST', '/quota-consumptions', { app_key: app.app_key })).status).toBe(503);
    injected?.remove();
    expect((await call('GET', `/apps/${app.id}/quota-usage`)).body).toMatchObject({ used: 1, remaining: 2 });
  });
});

describe('a write that landed but whose answer was lost (the SDK retries it)', () => {
  it('create app: the retried transaction is recognised by its token, not refused as a duplicate name', async () => {
    const { call } = await newInstance(api);
    const faults = inject({ operation: 'TransactWriteItems', kind: 'lost-answer', times: 1 });
    const response = await call('POST', '/apps', { name: 'once-only' });
    expect(response.status).toBe(201);
    expect(faults.attempts.TransactWriteItems).toBe(2);
    expect((await call('GET', '/apps')).body.total).toBe(1);
  });

  it('create instance: the retried transaction is answered by its idempotency token and counts once', async () => {
    const { project, token } = await newInstance(api);
    const faults = inject({ operation: 'TransactWriteItems', kind: 'lost-answer', times: 1 });
    const created = await api.call('POST', `/v2/${project}/apigw/instances`, {
      token,
      body: { instance_name: 'retried' },
    });
    expect(created.status).toBe(201);
    expect(faults.attempts.TransactWriteItems).toBe(2);
    const listed = await api.call('GET', `/v2/${project}/apigw/instances?name=retried`, { token });
    expect(listed.body.total).toBe(1);
    // The project counted it once: newInstance's instance and this one.
    const counted = await api.db.client.send(
      new GetCommand({ TableName: api.db.tableName, Key: projectKey(project), ConsistentRead: true }),
    );
    expect(counted.Item?.instance_num).toBe(2);
  });

  it('consume: the units are taken once, and the call is admitted', async () => {
    const { call, createQuota, bind } = await newInstance(api);
    const app = (await call('POST', '/apps', { name: 'caller' })).body;
    await bind(await createQuota('q_lost', { call_limits: 10 }), [app.id]);
    await call('POST', '/quota-consumptions', { app_key: app.app_key });
    const faults = inject({ operation: 'UpdateItem', kind: 'lost-answer', times: 1 });
    const response = await call('POST', '/quota-consumptions', { app_key: app.app_key, cost: 4 });
    expect(faults.attempts.UpdateItem).toBe(2);
    expect(response).toMatchObject({ status: 200, body: { remaining: 5 } });
    injected?.remove();
    expect((await call('GET', `/apps/${app.id}/quota-usage`)).body).toMatchObject({ used: 5, remaining: 5 });
  });

  it('consume opening a window: counted once', async () => {
    const { call, createQuota, bind } = await newInstance(api);
    const app = (await call('POST', '/apps', { name: 'opener' })).body;
    await bind(await createQuota('q_open', { call_limits: 10 }), [app.id]);
    // The first UpdateItem is refused (no window yet); the second opens the window and is lost.
    const faults = inject({ operation: 'UpdateItem', kind: 'lost-answer', times: 2 });
    const response = await call('POST', '/quota-consumptions', { app_key: app.app_key, cost: 3 });
    expect(response).toMatchObject({ status: 200, body: { remaining: 7 } });
    expect(faults.attempts.UpdateItem).toBeGreaterThanOrEqual(3);
    injected?.remove();
    expect((await call('GET', `/apps/${app.id}/quota-usage`)).body).toMatchObject({ used: 3 });
  });
});

describe('a transaction cancelled by a concurrent one', () => {
  it('is read again and retried: the bind completes with the right answer', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const appId = await createApp('contested');
    const quotaId = await createQuota('q_conflict');
    inject({ operation: 'TransactWriteItems', kind: 'conflict', times: 2 });
    const response = await bind(quotaId, [appId]);
    expect(response.status).toBe(201);
    expect((await call('GET', `/app-quotas/${quotaId}`)).body.bound_app_num).toBe(1);
  });
});

describe('concurrency that DynamoDB Local does not produce by itself', () => {
  it('a create cancelled by a concurrent transaction on its instance is tried again', async () => {
    const { call } = await newInstance(api);
    inject({ operation: 'TransactWriteItems', kind: 'conflict', times: 2 });
    expect((await call('POST', '/apps', { name: 'contended' })).status).toBe(201);
    expect(
      (await call('POST', '/app-quotas', { name: 'contended', call_limits: 1, time_unit: 'DAY', time_interval: 1 }))
        .status,
    ).toBe(201);
  });

  it('a delete whose mark is cancelled marks again before it unbinds anything', async () => {
    const { createApp, createQuota, bind, call } = await newInstance(api);
    const apps = [await createApp('one'), await createApp('two')];
    const quotaId = await createQuota('q_marked');
    await bind(quotaId, apps);
    inject({ operation: 'TransactWriteItems', kind: 'conflict', times: 1 });
    expect((await call('DELETE', `/app-quotas/${quotaId}`)).status).toBe(204);
    injected?.remove();
    const other = await createQuota('q_after');
    expect((await call('GET', `/app-quotas/${other}/bindable-apps`)).body.total).toBe(2);
    expect((await call('GET', `/app-quotas/${quotaId}`)).body.error_code).toBe('APIG.3093');
  });

  it('a consume meeting a transaction on its app reads again and is counted once', async () => {
    const { call, createQuota, bind } = await newInstance(api);
    const app = (await call('POST', '/apps', { name: 'caller' })).body;
    await bind(await createQuota('q_busy', { call_limits: 5 }), [app.id]);
    await call('POST', '/quota-consumptions', { app_key: app.app_key });
    const faults = inject({ operation: 'UpdateItem', kind: 'conflict', times: 2 });
    expect((await call('POST', '/quota-consumptions', { app_key: app.app_key })).body.remaining).toBe(3);
    expect(faults.attempts.UpdateItem).toBe(3);
  });

  it('a split bind of 100 apps whose second part and first undo fail still ends all bound, counted exactly', async () => {
    const { createQuota, bind, call } = await newInstance(api);
    const ids = await Promise.all(
      Array.from(
        { length: 100 },
        async (_, n) => (await call('POST', '/apps', { name: `split${n}` })).body.id as string,
      ),
    );
    const quotaId = await createQuota('q_split');
    let sent = 0;
    const name = 'failSecondAndThird';
    api.db.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand') {
          sent += 1;
          if (sent === 2 || sent === 3) {
            const { TransactionCanceledException } = await import('@aws-sdk/client-dynamodb');
            throw new TransactionCanceledException({
              message: 'injected',
              $metadata: {},
              CancellationReasons: [{ Code: 'TransactionConflict' }],
            });
          }
        }
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name },
    );
    try {
      expect((await bind(quotaId, ids)).status).toBe(201);
    } finally {
      api.db.client.middlewareStack.remove(name);
    }
    expect(sent).toBeGreaterThanOrEqual(5);
    const quota = (await call('GET', `/app-quotas/${quotaId}`)).body;
    expect(quota.bound_app_num).toBe(100);
    expect((await call('GET', `/app-quotas/${quotaId}/bound-apps?limit=500`)).body.total).toBe(100);
  });
});
