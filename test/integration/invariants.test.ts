import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';

const SEED = Number(process.env.PROPERTY_SEED ?? 1123);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 12);
const APPS = 5;
const QUOTAS = 3;
/** How many operations run at once: the interleavings come from these batches. */
const CONCURRENCY = 6;

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

type Op =
  | { kind: 'bind'; quota: number; apps: number[] }
  | { kind: 'unbind'; quota: number; app: number }
  | { kind: 'deleteApp'; app: number }
  | { kind: 'createApp'; app: number }
  | { kind: 'updateQuota'; quota: number; limit: number; interval: number }
  | { kind: 'deleteQuota'; quota: number }
  | { kind: 'createQuota'; quota: number }
  | { kind: 'consume'; app: number; cost: number };

const app = fc.integer({ min: 0, max: APPS - 1 });
const quota = fc.integer({ min: 0, max: QUOTAS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('bind'), quota, apps: fc.array(app, { minLength: 1, maxLength: 4 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unbind'), quota, app }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteApp'), app }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('createApp'), app }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('updateQuota'),
      quota,
      limit: fc.integer({ min: 1, max: 20 }),
      interval: fc.constantFrom(1, 2),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteQuota'), quota }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('createQuota'), quota }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('consume'), app, cost: fc.integer({ min: 1, max: 4 }) }) },
) as fc.Arbitrary<Op>;

interface Item {
  readonly [name: string]: unknown;
}

/** Every item of one instance's partition, by type (a test's view; a Scan is fine here). */
/** `PROJECT#<p>#INSTANCE#<i>` to the prefix of that instance's quota-delete markers, `<p>#<i>#`. */
const instanceMarkerPrefix = (partition: string) => {
  const [, project, , instance] = partition.split('#');
  return `${project}#${instance}#`;
};

const itemsOf = async (partition: string) => {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await api.db.client.send(
      new ScanCommand({ TableName: api.db.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(
      ...((page.Items ?? []) as Item[]).filter(
        (item) =>
          item.pk === partition ||
          item.pk === partition.split('#INSTANCE#')[0] ||
          (item.type === 'quota-delete' && String(item.sk).startsWith(instanceMarkerPrefix(partition))) ||
          String(item.pk).startsWith(`${partition}#APPKEY#`),
      ),
    );
    start = page.LastEvaluatedKey;
  } while (start);
  const byType = (type: string) => items.filter((item) => item.type === type);
  return {
    apps: byType('app'),
    quotas: byType('quota'),
    counters: byType('counter'),
    records: byType('bind-operation'),
    deleteMarkers: byType('quota-delete'),
    claims: items.filter((item) => item.pk === partition),
    instance: items.find((i) => i.type === 'instance' && i.pk !== partition),
  };
};

describe('invariants under random interleavings', () => {
  it('bindings, counts, claims and admissions stay consistent whatever the order of concurrent operations', async () => {
    let operations = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 30 }), async (ops) => {
        runs += 1;
        const instance = await newInstance(api);
        const apps: Array<{ id: string; key: string } | undefined> = [];
        const quotas: Array<string | undefined> = [];
        const maxLimit = new Map<string, number>();
        const admitted = new Map<string, number>();
        const createApp = async (n: number) => {
          const created = await instance.call('POST', '/apps', { name: `app${n}` });
          if (created.status === 201) apps[n] = { id: created.body.id, key: created.body.app_key };
          return created;
        };
        const createQuota = async (n: number) => {
          const body = { name: `quota${n}`, call_limits: 10, time_unit: 'HOUR', time_interval: 1 };
          const created = await instance.call('POST', '/app-quotas', body);
          if (created.status === 201) {
            quotas[n] = created.body.app_quota_id;
            maxLimit.set(created.body.app_quota_id, 10);
          }
          return created;
        };
        for (let n = 0; n < APPS; n += 1) await createApp(n);
        for (let n = 0; n < QUOTAS; n += 1) await createQuota(n);

        const run = async (o: Op) => {
          const quotaId = 'quota' in o ? (quotas[o.quota] ?? 'f'.repeat(32)) : '';
          switch (o.kind) {
            case 'bind':
              return instance.bind(
                quotaId,
                o.apps.map((n) => apps[n]?.id ?? 'e'.repeat(32)),
              );
            case 'unbind':
              return instance.call('DELETE', `/app-quotas/${quotaId}/bound-apps/${apps[o.app]?.id ?? 'e'.repeat(32)}`);
            case 'deleteApp': {
              const response = await instance.call('DELETE', `/apps/${apps[o.app]?.id ?? 'e'.repeat(32)}`);
              if (response.status === 204) apps[o.app] = undefined;
              return response;
            }
            case 'createApp':
              return createApp(o.app);
            case 'updateQuota': {
              maxLimit.set(quotaId, Math.max(maxLimit.get(quotaId) ?? 0, o.limit));
              const body = {
                name: `quota${o.quota}`,
                call_limits: o.limit,
                time_unit: 'HOUR',
                time_interval: o.interval,
              };
              return instance.call('PUT', `/app-quotas/${quotaId}`, body);
            }
            case 'deleteQuota': {
              const response = await instance.call('DELETE', `/app-quotas/${quotaId}`);
              if (response.status === 204 && quotas[o.quota] === quotaId) quotas[o.quota] = undefined;
              return response;
            }
            case 'createQuota':
              return createQuota(o.quota);
            case 'consume': {
              const response = await instance.call('POST', '/quota-consumptions', {
                app_key: apps[o.app]?.key ?? 'missing-key-0',
                cost: o.cost,
              });
              if (response.status === 200 && response.body.app_quota_id) {
                const window = `${response.body.app_id}/${response.body.app_quota_id}/${response.body.reset_at}`;
                admitted.set(window, (admitted.get(window) ?? 0) + o.cost);
              }
              return response;
            }
          }
        };

        for (let start = 0; start < ops.length; start += CONCURRENCY) {
          const batch = ops.slice(start, start + CONCURRENCY);
          const responses = await Promise.all(batch.map(run));
          operations += batch.length;
          for (const [n, response] of responses.entries()) {
            expect(response.status, `${JSON.stringify(batch[n])}: ${JSON.stringify(response.body)}`).toBeLessThan(500);
          }
        }

        const partition = `PROJECT#${instance.project}#INSTANCE#${instance.instanceId}`;
        const {
          apps: appItems,
          quotas: quotaItems,
          counters,
          records,
          deleteMarkers,
          claims,
          instance: instanceItem,
        } = await itemsOf(partition);
        // Every app's counters say what its item says: the same binding, as many as it has; no
        // counter outlives its app, and no split bind is left half done.
        expect(records).toEqual([]);
        // Every delete finished: no quota delete is left under way.
        expect(deleteMarkers).toEqual([]);
        expect(counters).toHaveLength(appItems.reduce((sum, a) => sum + Number(a.subcounters), 0));
        for (const item of appItems) {
          const mine = counters.filter((c) => c.app_id === item.app_id);
          expect(mine, `counters of ${item.app_id}`).toHaveLength(Number(item.subcounters));
          for (const counter of mine) {
            expect(counter.quota_id, `counter of ${item.app_id}`).toBe(item.quota_id);
            expect(String(counter.pk)).toContain(`#APPKEY#${item.app_key}#`);
          }
        }
        const quotaIds = new Set(quotaItems.map((q) => q.quota_id));
        // No binding points at a missing (or half-deleted) quota; every count equals what it counts.
        for (const item of appItems) if (item.quota_id) expect(quotaIds.has(item.quota_id)).toBe(true);
        for (const item of quotaItems) {
          expect(item.deleting).toBeUndefined();
          expect(item.bound_app_num, `quota ${item.quota_id}`).toBe(
            appItems.filter((a) => a.quota_id === item.quota_id).length,
          );
        }
        expect(instanceItem?.app_num).toBe(appItems.length);
        expect(instanceItem?.quota_num).toBe(quotaItems.length);
        // Claims and items match one to one: deleted objects leave no orphan claim behind.
        const sks = (prefix: string) =>
          claims
            .filter((c) => String(c.sk).startsWith(prefix))
            .map((c) => String(c.sk))
            .sort();
        expect(sks('APPNAME#')).toEqual(appItems.map((a) => `APPNAME#${a.name}`).sort());
        expect(sks('APPKEY#')).toEqual(appItems.map((a) => `APPKEY#${a.app_key}`).sort());
        expect(sks('QUOTANAME#')).toEqual(quotaItems.map((q) => `QUOTANAME#${q.name}`).sort());
        // No window ever admitted more units than its quota's limit (at its highest).
        for (const [window, units] of admitted) {
          const quotaId = window.split('/')[1] as string;
          expect(units, window).toBeLessThanOrEqual(maxLimit.get(quotaId) ?? 0);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`invariants: ${runs} runs, ${operations} operations in batches of ${CONCURRENCY} (seed ${SEED})`);
    expect(runs).toBe(RUNS);
  });
});
