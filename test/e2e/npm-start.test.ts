import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '#local/free-port.ts';
import { ensurePortFree } from '#local/listen.ts';
import { createStore } from '#store/control-plane/store.ts';
import { createDocumentClient } from '#store/table/client.ts';
import { type StartedNpm, startNpm } from '../support/npm-start.ts';
import { commandOf, descendantsOf, isAlive, LOOPBACK_ADDRESSES, listeningAddresses } from '../support/processes.ts';
import { sdkSign } from '../support/sdk-signer.ts';

/** `npm start` with the test's environment and these settings. */
const start = (env: Record<string, string>, args: string[] = []) => startNpm({ ...process.env, ...env }, args);

const stop = (started: StartedNpm, signal: NodeJS.Signals = 'SIGTERM') => started.stop(signal);

const waitUntil = async (what: string, condition: () => boolean | Promise<boolean>): Promise<void> => {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still not true after 15 s: ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
};

const portFree = (port: number): Promise<boolean> =>
  ensurePortFree(port, 'PORT').then(
    () => true,
    () => false,
  );

const portAnswers = async (port: number): Promise<boolean> =>
  fetch(`http://127.0.0.1:${port}`).then(
    () => true,
    () => false,
  );

const dataDir = mkdtempSync(join(tmpdir(), 'credential-quota-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('serves the API over HTTP, prints a working token, and keeps data across a restart on DATA_DIR', async () => {
    const env = {
      PORT: String(await freePort()),
      DYNAMODB_LOCAL_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      TABLE_NAME: 'start-test',
    };
    const first = await start(env);
    expect(first.base).toBe(`http://127.0.0.1:${env.PORT}`);
    const health = await fetch(`${first.base}/health`);
    expect(health.status).toBe(200);
    const openapi = await fetch(`${first.base}/openapi.json`);
    expect(openapi.status).toBe(200);
    expect(await openapi.json()).toMatchObject({ openapi: '3.1.0', paths: { '/health': { get: {} } } });

    // The access key of the banner signs a request as the vendor's SDKs do, over HTTP.
    const signed = await fetch(`${first.base}/v2/demo/apigw/instances?limit=1`, {
      headers: sdkSign(
        { method: 'GET', host: new URL(first.base).host, path: '/v2/demo/apigw/instances', query: { limit: '1' } },
        first.accessKey,
        first.secretKey,
      ),
    });
    expect(signed.status).toBe(200);
    expect(signed.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const headers = { 'x-auth-token': first.token, 'content-type': 'application/json' };
    const instances = `${first.base}/v2/demo/apigw/instances`;
    const created = await fetch(instances, {
      method: 'POST',
      headers,
      body: JSON.stringify({ instance_name: 'persisted' }),
    });
    expect(created.status).toBe(201);
    const { instance_id: instanceId } = (await created.json()) as { instance_id: string };
    const app = await fetch(`${instances}/${instanceId}/apps`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'app-demo' }),
    });
    expect(app.status).toBe(201);

    // The seeds' own request examples, over HTTP, under the ROMA Connect prefix of seeds 000/003/004.
    const roma = `${first.base}/v2/demo/apic/instances/${instanceId}`;
    const quota = await fetch(`${roma}/app-quotas`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        call_limits: 1000,
        name: 'ClientQuota_demo',
        reset_time: '2020-09-20 00:00:00',
        time_interval: 1,
        time_unit: 'DAY',
      }),
    });
    expect(quota.status).toBe(201);
    const quotaBody = (await quota.json()) as Record<string, unknown>;
    expect(Object.keys(quotaBody).sort()).toEqual([
      'app_quota_id',
      'bound_app_num',
      'call_limits',
      'create_time',
      'name',
      'remark',
      'reset_time',
      'time_interval',
      'time_unit',
    ]);
    const appId = ((await app.json()) as { id: string }).id;
    const dashed = `${appId.slice(0, 8)}-${appId.slice(8, 12)}-${appId.slice(12, 16)}-${appId.slice(16, 20)}-${appId.slice(20)}`;
    const bound = await fetch(`${roma}/app-quotas/${quotaBody.app_quota_id}/binding-apps`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ app_ids: [dashed] }),
    });
    expect(bound.status).toBe(201);
    const applies = ((await bound.json()) as { applies: Array<Record<string, unknown>> }).applies;
    expect(applies.map((a) => Object.keys(a).sort())).toEqual([['app_id', 'app_quota_id', 'bound_time']]);
    const listed = await fetch(`${roma}/app-quotas/${quotaBody.app_quota_id}/bound-apps`, { headers });
    const page = (await listed.json()) as { total: number; size: number; apps: Array<Record<string, unknown>> };
    expect(page).toMatchObject({ total: 1, size: 1 });
    expect(Object.keys(page.apps[0] ?? {}).sort()).toEqual([
      'app_id',
      'app_key',
      'app_quota_id',
      'app_quota_name',
      'bound_time',
      'name',
      'register_time',
      'remark',
      'status',
      'update_time',
    ]);

    expect(await stop(first)).toBe(0);
    expect(await portAnswers(Number(env.DYNAMODB_LOCAL_PORT))).toBe(false);

    const second = await start(env);
    try {
      const shown = await fetch(`${second.base}/v2/demo/apic/instances/${instanceId}/apps`, {
        headers: { 'x-auth-token': second.token },
      });
      expect(shown.status).toBe(200);
      expect(await shown.json()).toMatchObject({ total: 1, apps: [{ name: 'app-demo' }] });
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });

  it('sweeps quota deletes left after their first step every QUOTA_SWEEP_INTERVAL_SECONDS, as the schedule does in AWS', async () => {
    const endpoint = inject('dynamodbEndpoint');
    const tableName = `sweep-${randomUUID()}`;
    const started = await start({
      PORT: String(await freePort()),
      DYNAMODB_ENDPOINT: endpoint,
      TABLE_NAME: tableName,
      QUOTA_SWEEP_INTERVAL_SECONDS: '1',
    });
    const client = createDocumentClient({ region: 'us-east-1', endpoint });
    try {
      const headers = { 'x-auth-token': started.token, 'content-type': 'application/json' };
      const post = async (path: string, body: unknown) => {
        const response = await fetch(`${started.base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
        expect(response.status, path).toBe(201);
        return (await response.json()) as Record<string, unknown>;
      };
      const instances = '/v2/demo/apigw/instances';
      const instanceId = String((await post(instances, { instance_name: 'swept' })).instance_id);
      const base = `${instances}/${instanceId}`;
      const appId = String((await post(`${base}/apps`, { name: 'left_bound' })).id);
      const quota = { name: 'abandoned', call_limits: 5, time_unit: 'HOUR', time_interval: 1 };
      const quotaId = String((await post(`${base}/app-quotas`, quota)).app_quota_id);
      await post(`${base}/app-quotas/${quotaId}/binding-apps`, { app_ids: [appId] });
      // The first step of a DELETE whose process then died: nobody sends the DELETE again.
      const store = createStore({ client, tableName });
      const stored = await store.getQuota('demo', instanceId, quotaId);
      expect(await store.markQuotaDeleting(stored?.quota as never, new Date())).toBe('marked');
      // Generous: the server's sweep fires every second, but the machine may be loaded.
      const deadline = Date.now() + 60_000;
      while ((await store.getQuota('demo', instanceId, quotaId)) !== undefined) {
        if (Date.now() > deadline)
          throw new Error(`the sweep did not finish the delete within 60 s:\n${started.output()}`);
        await new Promise((done) => setTimeout(done, 200));
      }
      const boundQuota = await fetch(`${started.base}${base}/apps/${appId}/bound-quota`, { headers });
      expect(((await boundQuota.json()) as { error_code: string }).error_code).toBe('APIG.3093');
    } finally {
      client.destroy();
      await stop(started);
    }
  });

  it('reads the table stream as the event source mapping does: each threshold event one JSON line, posted to ALERT_WEBHOOK_URL', async () => {
    const posted: unknown[] = [];
    const webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        posted.push({ method: request.method, type: request.headers['content-type'], body: JSON.parse(body) });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => webhook.listen(0, '127.0.0.1', done));
    const started = await start({
      PORT: String(await freePort()),
      DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
      TABLE_NAME: `stream-${randomUUID()}`,
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`,
    });
    try {
      const headers = { 'x-auth-token': started.token, 'content-type': 'application/json' };
      const post = async (path: string, body: unknown, status = 201) => {
        const response = await fetch(`${started.base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
        expect(response.status, path).toBe(status);
        return (await response.json()) as Record<string, unknown>;
      };
      const instances = '/v2/demo/apigw/instances';
      const base = `${instances}/${String((await post(instances, { instance_name: 'watched' })).instance_id)}`;
      const app = await post(`${base}/apps`, { name: 'watched' });
      const quota = { name: 'watched', call_limits: 5, time_unit: 'HOUR', time_interval: 1 };
      const quotaId = String((await post(`${base}/app-quotas`, quota)).app_quota_id);
      await post(`${base}/app-quotas/${quotaId}/binding-apps`, { app_ids: [app.id] });
      for (let call = 0; call < 5; call += 1) await post(`${base}/quota-consumptions`, { app_key: app.app_key }, 200);
      const lines = () =>
        started
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{"source":"credential-quota"'))
          .map((line) => JSON.parse(line) as { detail: Record<string, unknown> });
      // Generous: the stream is polled four times a second, but the machine may be loaded.
      const deadline = Date.now() + 60_000;
      while (lines().length < 2 || posted.length < 2) {
        if (Date.now() > deadline) throw new Error(`no two threshold events within 60 s:\n${started.output()}`);
        await new Promise((done) => setTimeout(done, 200));
      }
      expect(lines().map((event) => [event.detail.threshold, event.detail.app_id, event.detail.app_quota_id])).toEqual([
        [80, app.id, quotaId],
        [100, app.id, quotaId],
      ]);
      expect(posted).toEqual(lines().map((event) => ({ method: 'POST', type: 'application/json', body: event })));
    } finally {
      await stop(started);
      webhook.close();
    }
  });

  it('with --in-memory keeps nothing once stopped', async () => {
    const env = {
      PORT: String(await freePort()),
      DYNAMODB_LOCAL_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      TABLE_NAME: 'in-memory-test',
    };
    const first = await start(env, ['--', '--in-memory']);
    expect(first.output()).toContain('(in memory)');
    const headers = { 'x-auth-token': first.token, 'content-type': 'application/json' };
    await fetch(`${first.base}/v2/demo/apigw/instances`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ instance_name: 'forgotten' }),
    });
    expect(await stop(first)).toBe(0);
    // Without `--`, npm takes the flag as its own config; it must still mean in memory.
    const second = await start(env, ['--in-memory']);
    expect(second.output()).toContain('(in memory)');
    try {
      const listed = await fetch(`${second.base}/v2/demo/apigw/instances`, {
        headers: { 'x-auth-token': second.token },
      });
      expect(await listed.json()).toEqual({ total: 0, size: 0, instances: [] });
    } finally {
      await stop(second);
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops everything it started when npm itself gets ${signal}: no process left, both ports free`, async () => {
      const env = {
        PORT: String(await freePort()),
        DYNAMODB_LOCAL_PORT: String(await freePort()),
        TABLE_NAME: 'signal-test',
      };
      const started = await start(env, ['--', '--in-memory']);
      const npmPid = started.child.pid as number;
      const processes = descendantsOf(npmPid);
      const commands = processes.map(commandOf);
      expect(
        commands.some((command) => command.includes('scripts/start.ts')),
        commands.join('\n'),
      ).toBe(true);
      expect(
        commands.some((command) => command.includes('loopback-dynamodb-local.java')),
        commands.join('\n'),
      ).toBe(true);
      for (const port of [env.DYNAMODB_LOCAL_PORT, env.PORT]) {
        const addresses = listeningAddresses(Number(port));
        // Something listens, and only on loopback (every() over nothing would be true).
        expect(addresses.length, `port ${port}`).toBeGreaterThan(0);
        expect(
          addresses.filter((address) => !LOOPBACK_ADDRESSES.includes(address)),
          `port ${port}`,
        ).toEqual([]);
      }
      expect(await stop(started, signal)).toBe(0);
      expect(started.output()).toContain(`${signal}: stopping`);
      await waitUntil('every process of npm start has ended', () => processes.every((pid) => !isAlive(pid)));
      expect(await portFree(Number(env.PORT))).toBe(true);
      expect(await portFree(Number(env.DYNAMODB_LOCAL_PORT))).toBe(true);
    });
  }
});
