import { GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '#domain/ids.ts';
import {
  appKey,
  appKeyClaimKey,
  appListKey,
  appNameKey,
  boundAppKey,
  instanceKey,
  quotaKey,
  quotaListKey,
  quotaNameKey,
  unboundAppKey,
} from '#store/table/keys.ts';
import type { TestApi } from './api-client.ts';
import { newInstance } from './fixtures.ts';
import { tableSnapshot } from './table-snapshot.ts';

/** The clock's start in the migration tests: the old layout's windows and times are set around it. */
export const T0 = Date.parse('2026-11-23T07:00:00.000Z');

/**
 * Writes and reads of a test table in the layout before counters, for the tests of its migration
 * (in-process, and by `npm run migrate`).
 */
export const legacyTable = (api: TestApi) => {
  const put = (item: Record<string, unknown>) =>
    api.db.client.send(new PutCommand({ TableName: api.db.tableName, Item: item }));
  const get = async (key: { pk: string; sk: string }) =>
    (await api.db.client.send(new GetCommand({ TableName: api.db.tableName, Key: key, ConsistentRead: true }))).Item;

  /**
   * An instance written exactly as the layout before counters wrote it: a quota (no `subcounters`)
   * and apps whose items carry the binding, the copy of the quota's settings and the usage, with
   * their claims and the instance's counts; no counter items.
   */
  const oldLayout = async (
    quotaLimit: number,
    apps: ReadonlyArray<{ name: string; used?: number; bound: boolean }>,
  ) => {
    const instance = await newInstance(api);
    const { project, instanceId } = instance;
    const quotaId = newId();
    const created = new Date(T0 - 3_600_000);
    await put({
      ...quotaKey(project, instanceId, quotaId),
      type: 'quota',
      lsi1sk: quotaListKey(created, quotaId),
      project_id: project,
      instance_id: instanceId,
      quota_id: quotaId,
      name: 'legacy_quota',
      name_lc: 'legacy_quota',
      call_limits: quotaLimit,
      time_unit: 'MINUTE',
      time_interval: 1,
      remark: '',
      create_time: created.toISOString(),
      bound_app_num: apps.filter((app) => app.bound).length,
      config_version: 1,
    });
    await put({ ...quotaNameKey(project, instanceId, 'legacy_quota'), type: 'quota-name', quota_id: quotaId });
    const made = [];
    for (const app of apps) {
      const appId = newId();
      const key = `legacyKey${app.name}0000`;
      const bound = new Date(T0 - 1_800_000);
      await put({
        ...appKey(project, instanceId, appId),
        type: 'app',
        lsi1sk: appListKey(app.name, appId),
        lsi2sk: app.bound ? boundAppKey(quotaId, bound, appId) : unboundAppKey(app.name, appId),
        project_id: project,
        instance_id: instanceId,
        app_id: appId,
        name: app.name,
        name_lc: app.name.toLowerCase(),
        remark: '',
        status: 1,
        app_key: key,
        secret_hash: 'scrypt$legacy$hash',
        register_time: created.toISOString(),
        update_time: created.toISOString(),
        ...(app.bound
          ? {
              quota_id: quotaId,
              bound_time: bound.toISOString(),
              limit_units: quotaLimit,
              window_ms: 60_000,
              config_version: 1,
              ...(app.used === undefined
                ? {}
                : { window_end_ms: T0 + 30_000, remaining: quotaLimit - app.used, last_consume: 'an-old-request' }),
            }
          : {}),
      });
      await put({ ...appNameKey(project, instanceId, app.name), type: 'app-name', app_id: appId });
      await put({ ...appKeyClaimKey(project, instanceId, key), type: 'app-key', app_id: appId });
      made.push({ appId, key, ...app });
    }
    await api.db.client.send(
      new UpdateCommand({
        TableName: api.db.tableName,
        Key: instanceKey(project, instanceId),
        UpdateExpression: 'SET app_num = :apps, quota_num = :one',
        ExpressionAttributeValues: { ':apps': apps.length, ':one': 1 },
      }),
    );
    const consume = (key: string, cost = 1) => instance.call('POST', '/quota-consumptions', { app_key: key, cost });
    const usage = async (appId: string) => (await instance.call('GET', `/apps/${appId}/quota-usage`)).body;
    return { ...instance, quotaId, apps: made, consume, usage };
  };

  /** What `npm run migrate` would find: the table's items, and its apps of each layout. */
  const census = async () => {
    const items = (await tableSnapshot(api.db)).map((item) => JSON.parse(item) as Record<string, unknown>);
    const apps = items.filter((item) => item.type === 'app');
    const onCounters = apps.filter((item) => item.subcounters !== undefined).length;
    return { items: items.length, apps: apps.length, oldLayout: apps.length - onCounters, onCounters };
  };

  const countersOfTable = async () => {
    const page = await api.db.client.send(new ScanCommand({ TableName: api.db.tableName, ConsistentRead: true }));
    return (page.Items ?? []).filter((item) => item.type === 'counter');
  };
  return { get, oldLayout, census, countersOfTable };
};
