import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createSecretBox } from '#domain/secret-box.ts';
import { systemClock } from '#domain/time.ts';
import { createStore } from '#store/control-plane/store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import { QuotaStateCache } from '#use-cases/consume/quota-state-cache.ts';
import { SubcounterCache } from '#use-cases/consume/subcounter-cache.ts';
import { createApp } from '#use-cases/create-app.ts';
import type { UseCaseDeps } from '#use-cases/ports.ts';
import { resetAppSecret } from '#use-cases/update-app.ts';

// The hash is the expensive step (scrypt, ~50 ms of CPU): count when it runs.
const hashSecret = vi.hoisted(() => vi.fn(async () => 'scrypt$c2FsdA==$aGFzaA=='));
vi.mock('#domain/secrets.ts', () => ({ hashSecret }));

const ddb = mockClient(DynamoDBDocumentClient);
const store = createStore({ client: createDocumentClient({ region: 'us-east-1' }), tableName: 'table' });
const deps: UseCaseDeps = {
  store,
  clock: systemClock,
  limits: { appsPerInstance: 2, quotasPerInstance: 2 },
  subcounters: new SubcounterCache(),
  quotaStates: new QuotaStateCache(),
  secretBox: async () => createSecretBox('unit-test-sealing-key'),
};
const input = { projectId: 'demo', instanceId: 'i'.repeat(32), name: 'app-one', remark: '' };

beforeEach(() => {
  ddb.reset();
  hashSecret.mockClear();
});

describe('create app does the cheap checks before the expensive hash', () => {
  it('answers a missing instance with 404 APIG.3030 without hashing or writing', async () => {
    ddb.on(GetCommand).resolves({});
    await expect(createApp(deps, input)).rejects.toMatchObject({ status: 404, code: 'APIG.3030' });
    expect(hashSecret).not.toHaveBeenCalled();
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers a full instance with 403 APIG.3100 without hashing or writing', async () => {
    ddb.on(GetCommand).resolves({ Item: { instance_id: input.instanceId, app_num: 2, quota_num: 0 } });
    await expect(createApp(deps, input)).rejects.toMatchObject({ status: 403, code: 'APIG.3100' });
    expect(hashSecret).not.toHaveBeenCalled();
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('hashes once and writes when the instance has room', async () => {
    ddb.on(GetCommand).resolves({ Item: { instance_id: input.instanceId, app_num: 1, quota_num: 0 } });
    ddb.on(TransactWriteCommand).resolves({});
    await expect(createApp(deps, input)).resolves.toMatchObject({ app: { name: 'app-one' } });
    expect(hashSecret).toHaveBeenCalledTimes(1);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });
});

describe('reset secret does the cheap check before the expensive hash', () => {
  const app = { projectId: input.projectId, instanceId: input.instanceId, appId: 'a'.repeat(32), appSecret: undefined };

  it('answers a missing app with 404 APIG.3004 without hashing or writing', async () => {
    ddb.on(GetCommand).callsFake(({ Key }) => ({
      Item: String(Key?.sk).startsWith('INSTANCE#') ? { instance_id: input.instanceId } : undefined,
    }));
    await expect(resetAppSecret(deps, app)).rejects.toMatchObject({ status: 404, code: 'APIG.3004' });
    expect(hashSecret).not.toHaveBeenCalled();
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('answers a missing instance with 404 APIG.3030 without hashing or writing', async () => {
    ddb.on(GetCommand).resolves({});
    await expect(resetAppSecret(deps, app)).rejects.toMatchObject({ status: 404, code: 'APIG.3030' });
    expect(hashSecret).not.toHaveBeenCalled();
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('hashes once and writes when the app exists', async () => {
    const stored = {
      pk: 'p',
      sk: 's',
      type: 'app',
      project_id: input.projectId,
      instance_id: input.instanceId,
      app_id: app.appId,
      name: 'app-one',
      remark: '',
      status: 1,
      app_key: 'k'.repeat(16),
      register_time: '2026-12-01T00:00:00.000Z',
      update_time: '2026-12-01T00:00:00.000Z',
    };
    ddb.on(GetCommand).resolves({ Item: stored });
    ddb.on(UpdateCommand).resolves({ Attributes: stored });
    await expect(resetAppSecret(deps, app)).resolves.toMatchObject({ app: { name: 'app-one' } });
    expect(hashSecret).toHaveBeenCalledTimes(1);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
  });
});
