import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApi, freshProject, type TestApi } from '../support/api-client.ts';
import { signedCall } from '../support/signed-client.ts';
import { TEST_SEALING_KEY } from '../support/tokens.ts';

const run = promisify(execFile);

let api: TestApi;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  api = await createTestApi();
  env = {
    ...process.env,
    DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
    TABLE_NAME: api.db.tableName,
    ACCESS_KEY_SEALING_KEY: TEST_SEALING_KEY,
  };
});

const accessKey = async (...args: string[]) =>
  JSON.parse((await run(process.execPath, ['scripts/access-key.ts', ...args], { env })).stdout);

describe('npm run access-key', () => {
  it('creates a key whose secret signs requests, lists it without the secret, and revokes it', async () => {
    const project = freshProject();
    const created = await accessKey(
      'create',
      '--project',
      project,
      '--actions',
      'apig:instance:*',
      '--description',
      'ci',
    );
    expect(created).toMatchObject({ project_id: project, actions: ['apig:instance:*'], description: 'ci' });
    expect(created.access_key).toMatch(/^[A-Z0-9]{20}$/);
    expect(created.secret_key).toMatch(/^[A-Za-z0-9]{40}$/);
    const key = { accessKey: created.access_key, secretKey: created.secret_key };
    const path = `/v2/${project}/apigw/instances`;
    expect((await signedCall(api, key, { method: 'GET', path })).status).toBe(200);

    const { secret_key: _, ...listing } = created;
    expect(await accessKey('list', '--project', project)).toEqual([listing]);

    expect(await accessKey('revoke', '--project', project, '--access-key', created.access_key)).toEqual({
      revoked: created.access_key,
    });
    expect(await accessKey('list', '--project', project)).toEqual([]);
    // Gone from the table: a container that reads it again refuses it (signed-requests.test.ts: within 30 s).
    expect(await api.deps.store.getAccessKey(created.access_key)).toBeUndefined();
  });
});
