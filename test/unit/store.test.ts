import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { App } from '#domain/models.ts';
import { createApp, deleteApp, listApps } from '#store/control-plane/app-store.ts';
import { bindApps } from '#store/control-plane/binding-store.ts';
import { consumeInWindow } from '#store/data-plane/counter-store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import type { Db } from '#store/table/db.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const db: Db = { client: createDocumentClient({ region: 'us-east-1' }), tableName: 'table' };

const app: App = {
  projectId: 'demo',
  instanceId: 'i1',
  appId: 'a1',
  name: 'App-One',
  remark: '',
  status: 1,
  appKey: 'key-0001',
  registerTime: new Date('2026-01-01T00:00:00.000Z'),
  updateTime: new Date('2026-01-01T00:00:00.000Z'),
};

const cancelled = (...reasons: Array<{ Code: string; Item?: Record<string, unknown> }>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons.map((reason) => ({
      Code: reason.Code,
      ...(reason.Item ? { Item: marshall(reason.Item) } : {}),
    })),
  });

const none = { Code: 'None' };
const failed = { Code: 'ConditionalCheckFailed' };

beforeEach(() => ddb.reset());

describe('app store: create', () => {
  it('writes the app, counts it on its instance, claims its name and key and creates its counter in one transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await createApp(db, app, 'scrypt$x$y', 50)).toBe('created');
    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(1);
    const items = calls[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((item) => Object.keys(item)[0])).toEqual(['Update', 'Put', 'Put', 'Put', 'Put']);
    expect(items[0]?.Update?.ConditionExpression).toContain('app_num < :max');
    expect(items[0]?.Update?.ExpressionAttributeValues?.[':max']).toBe(50);
    expect(items[1]?.Put?.Item).toMatchObject({ sk: 'APP#a1', lsi1sk: 'APP#app-one#a1', lsi2sk: 'UNBOUND#app-one#a1' });
    expect(items[2]?.Put?.Item?.sk).toBe('APPNAME#App-One');
    expect(items[3]?.Put?.Item?.sk).toBe('APPKEY#key-0001');
    // The counter: a partition of its own, addressed by the key a consume carries, no index attributes.
    expect(items[4]?.Put?.Item).toEqual({
      pk: `PROJECT#${app.projectId}#INSTANCE#${app.instanceId}#APPKEY#key-0001#0`,
      sk: 'COUNTER',
      type: 'counter',
      app_id: 'a1',
      subcounter: 0,
    });
    for (const item of items.slice(1)) expect(item.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('maps a failed instance condition without an item to 404 APIG.3030', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(failed, none, none, none));
    await expect(createApp(db, app, 'scrypt$x$y', 50)).rejects.toMatchObject({ status: 404, code: 'APIG.3030' });
  });

  it('maps a failed instance condition on an existing instance to 403 APIG.3100 (limit reached)', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejects(cancelled({ ...failed, Item: { pk: 'x', sk: 'y', app_num: 50 } }, none, none, none));
    await expect(createApp(db, app, 'scrypt$x$y', 50)).rejects.toMatchObject({ status: 403, code: 'APIG.3100' });
  });

  it('maps a taken name to 400 CQ.4001 naming the name and instance, and a taken key to 400 CQ.4002', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(none, none, failed, none));
    await expect(createApp(db, app, 'scrypt$x$y', 50)).rejects.toMatchObject({
      code: 'CQ.4001',
      message: 'The app name App-One already exists in instance i1',
    });
    ddb.on(TransactWriteCommand).rejects(cancelled(none, none, none, failed));
    await expect(createApp(db, app, 'scrypt$x$y', 50)).rejects.toMatchObject({ status: 400, code: 'CQ.4002' });
  });

  it('lets other failures (throttling) through untouched, for the error mapper', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
    ddb.on(TransactWriteCommand).rejects(throttled);
    await expect(createApp(db, app, 'scrypt$x$y', 50)).rejects.toBe(throttled);
  });

  it('answers overtaken (try again) when only a concurrent transaction on the instance cancelled it', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'TransactionConflict' }, none, none, none));
    expect(await createApp(db, app, 'scrypt$x$y', 50)).toBe('overtaken');
  });

  const record = {
    projectId: 'demo',
    token: 'tok-1',
    appId: 'a1',
    fingerprint: 'f',
    sealedAnswer: 'v1$n$c',
    expiresAt: 1_800_086_400,
  };

  it('records the answer under the client token in the same transaction, and names the token on the app', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await createApp(db, app, 'scrypt$x$y', 50, { record, nowSeconds: 1_800_000_000 })).toBe('created');
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(6);
    expect(items[1]?.Put?.Item?.client_token).toBe('tok-1');
    expect(items[5]?.Put).toMatchObject({
      Item: { pk: 'PROJECT#demo#CLIENTTOKEN#tok-1', sk: 'CLIENTTOKEN', app_id: 'a1', expires_at: 1_800_086_400 },
      ConditionExpression: 'attribute_not_exists(pk) OR #expires <= :now',
      ExpressionAttributeValues: { ':now': 1_800_000_000 },
    });
  });

  it('answers token-taken when the token holds a record, even though the name is taken too (by that first create)', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled(none, failed, failed, failed, none, failed));
    expect(await createApp(db, app, 'scrypt$x$y', 50, { record, nowSeconds: 1_800_000_000 })).toBe('token-taken');
  });

  it('sends every transaction with an idempotency token', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await createApp(db, app, 'scrypt$x$y', 50);
    expect(ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.ClientRequestToken).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('app store: list', () => {
  it('pages through every Query page, counts all matches and keeps only the asked window', async () => {
    const item = (n: number) => ({
      ...app,
      app_id: `a${n}`,
      name: `app${n}`,
      register_time: '2026-01-01T00:00:00.000Z',
      update_time: '2026-01-01T00:00:00.000Z',
    });
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [item(1), item(2), item(3)], LastEvaluatedKey: { pk: 'p', sk: 's3' } })
      .resolvesOnce({ Items: [item(4), item(5)] });
    const page = await listApps(db, 'demo', 'i1', { offset: 2, limit: 2, name: 'APP' });
    expect(page.total).toBe(5);
    expect(page.items.map((a) => a.appId)).toEqual(['a3', 'a4']);
    const calls = ddb.commandCalls(QueryCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'p', sk: 's3' });
    expect(calls[0]?.args[0].input).toMatchObject({
      IndexName: 'lsi1',
      ConsistentRead: true,
      FilterExpression: '(contains(name_lc, :name))',
      ExpressionAttributeValues: { ':name': 'app', ':prefix': 'APP#' },
    });
  });
});

describe('app store: delete', () => {
  const stored = {
    pk: 'p',
    sk: 'APP#a1',
    app_id: 'a1',
    name: 'App-One',
    app_key: 'key-0001',
    lsi2sk: 'UNBOUND#app-one#a1',
  };

  it('answers missing without writing when the app does not exist', async () => {
    ddb.on(GetCommand).resolves({});
    expect(await deleteApp(db, 'demo', 'i1', 'a1')).toBe('missing');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('deletes the app, its claims and its counter and uncounts it, conditioned on the binding state it read', async () => {
    ddb.on(GetCommand).resolves({ Item: stored });
    ddb.on(TransactWriteCommand).resolves({});
    expect(await deleteApp(db, 'demo', 'i1', 'a1')).toBe('deleted');
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items[0]?.Delete?.ExpressionAttributeValues).toEqual({
      ':binding': 'UNBOUND#app-one#a1',
      ':name': 'App-One',
    });
    expect(items[0]?.Delete?.ConditionExpression).toContain('#name = :name');
    expect(items.map((item) => Object.keys(item)[0])).toEqual(['Delete', 'Delete', 'Delete', 'Update', 'Delete']);
    expect(items[4]?.Delete?.Key).toEqual({ pk: 'PROJECT#demo#INSTANCE#i1#APPKEY#key-0001#0', sk: 'COUNTER' });
  });

  it('answers overtaken when a concurrent change cancelled the transaction, and lets other errors through', async () => {
    ddb.on(GetCommand).resolves({ Item: stored });
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled(failed, none, none, none));
    expect(await deleteApp(db, 'demo', 'i1', 'a1')).toBe('overtaken');
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    ddb.on(TransactWriteCommand).rejects(timeout);
    await expect(deleteApp(db, 'demo', 'i1', 'a1')).rejects.toBe(timeout);
  });

  it('uncounts the app from the quota it is bound to in the same transaction', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...stored, quota_id: 'q9', lsi2sk: 'BOUND#q9#x#a1' } });
    ddb.on(TransactWriteCommand).resolves({});
    await deleteApp(db, 'demo', 'i1', 'a1');
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.at(-1)?.Update).toMatchObject({
      UpdateExpression: 'ADD bound_app_num :minus',
      Key: { sk: 'QUOTA#q9' },
    });
  });
});

describe('consumption store', () => {
  const credential = { projectId: 'demo', instanceId: 'i1', appKey: 'key-0001' };

  it('answers again (read the situation again) when a transaction holds the item', async () => {
    ddb.on(UpdateCommand).rejects(new TransactionConflictException({ message: 'in a transaction', $metadata: {} }));
    expect(await consumeInWindow(db, credential, 0, 1, Date.now(), 'r1')).toEqual({ kind: 'overtaken' });
  });

  it('recognises its own earlier write (same request id) as admitted, not as a refusal', async () => {
    const item = {
      pk: 'p',
      sk: 's',
      app_key: 'key-0001',
      quota_id: 'q',
      window_end_ms: Date.now() + 1000,
      remaining: 0,
      last_consume: 'r1',
    };
    ddb
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: marshall(item) }));
    expect(await consumeInWindow(db, credential, 0, 1, Date.now(), 'r1')).toMatchObject({ kind: 'admitted' });
    expect(await consumeInWindow(db, credential, 0, 1, Date.now(), 'r2')).toMatchObject({ kind: 'refused' });
  });

  it("takes the units with one conditional UpdateItem on the credential's own counter, writing the request id", async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { remaining: 3 } });
    await consumeInWindow(db, credential, 2, 2, 1000, 'r9');
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.Key).toEqual({ pk: 'PROJECT#demo#INSTANCE#i1#APPKEY#key-0001#2', sk: 'COUNTER' });
    expect(input?.UpdateExpression).toBe('SET remaining = remaining - :cost, last_consume = :request');
    expect(input?.ConditionExpression).toContain('remaining >= :cost');
    expect(input?.ExpressionAttributeValues).toMatchObject({ ':cost': 2, ':now': 1000, ':request': 'r9' });
    expect(input?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });
});

describe('binding store: split binds', () => {
  const quotaOf = (subcounters: number) => ({
    quota: {
      projectId: 'demo',
      instanceId: 'i1',
      quotaId: 'q1',
      name: 'quota',
      remark: '',
      callLimits: 10,
      timeUnit: 'HOUR' as const,
      timeInterval: 1,
      resetTime: undefined,
      createTime: new Date('2026-01-01T00:00:00.000Z'),
      boundAppNum: 0,
      subcounters,
    },
    configVersion: 1,
    freshVersion: 0,
    deleting: false,
    pendingBinds: [],
  });
  const appsOf = (count: number): App[] =>
    Array.from({ length: count }, (_, n) => ({ ...app, appId: `a${n}`, appKey: `key-${1000 + n}` }));
  const kinds = (items: ReadonlyArray<Record<string, unknown>>) => items.map((item) => Object.keys(item)[0]);

  it('binds 49 apps with one counter each in one transaction of 99 actions, with no record', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await bindApps(db, quotaOf(1), appsOf(49), [], new Date(), 0)).toBe('bound');
    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(1);
    const items = calls[0]?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(99);
    expect(items.some((item) => item.Put?.Item?.type === 'bind-operation')).toBe(false);
  });

  it('splits 100 apps into runs of 49: the record goes with the first, is checked by the next, leaves with the last', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    expect(await bindApps(db, quotaOf(1), appsOf(100), [], new Date(), 0)).toBe('bound');
    const runs = ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems ?? []);
    // Each run: the quota's count, the record's action, then 2 actions per app (49, 49 and 2 apps).
    expect(runs.map((run) => run.length)).toEqual([100, 100, 6]);
    expect(runs.map((run) => kinds(run).slice(0, 2))).toEqual([
      ['Update', 'Put'],
      ['Update', 'ConditionCheck'],
      ['Update', 'Delete'],
    ]);
    const [first, middle, last] = runs as [(typeof runs)[number], (typeof runs)[number], (typeof runs)[number]];
    expect(first[0]?.Update?.UpdateExpression).toBe('ADD bound_app_num :delta, pending_binds :bind');
    expect(first[1]?.Put?.Item).toMatchObject({ type: 'bind-operation', quota_id: 'q1' });
    expect(first[1]?.Put?.Item?.app_ids).toHaveLength(100);
    expect(middle[1]?.ConditionCheck?.ConditionExpression).toBe(
      'attribute_exists(pk) AND attribute_not_exists(undoing)',
    );
    expect(last[0]?.Update?.UpdateExpression).toBe('ADD bound_app_num :delta DELETE pending_binds :bind');
    expect(runs.map((run) => run[0]?.Update?.ExpressionAttributeValues?.[':delta'])).toEqual([49, 49, 2]);
  });

  it('with 4 sub-counters an app takes 5 actions: 19 apps a run', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    await bindApps(db, quotaOf(4), appsOf(20), [], new Date(), 0);
    const runs = ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems ?? []);
    expect(runs.map((run) => run.length)).toEqual([2 + 19 * 5, 2 + 5]);
    const counters = runs[0]?.filter((item) => item.Put?.Item?.type === 'counter') ?? [];
    expect(counters.slice(0, 4).map((item) => item.Put?.Item?.limit_units)).toEqual([3, 3, 2, 2]);
  });

  it('undoes the first run when the second is cancelled: marks the record, then unbinds', async () => {
    ddb.on(TransactWriteCommand).resolvesOnce({}).rejectsOnce(cancelled(failed)).resolves({});
    ddb.on(BatchGetCommand).resolves({ Responses: { table: [] } });
    expect(await bindApps(db, quotaOf(1), appsOf(60), [], new Date(), 0)).toBe('overtaken');
    const runs = ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input.TransactItems ?? []);
    expect(runs[2]?.[0]?.Update?.UpdateExpression).toBe('SET undoing = :yes');
    // Nothing left bound (the read found none): the record goes, with its entry on the quota.
    expect(kinds(runs[3] ?? [])).toEqual(['Delete', 'Update']);
    expect(runs[3]?.[1]?.Update?.UpdateExpression).toBe('DELETE pending_binds :bind');
  });
});
