import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/free-port.ts';
import { type StartedNpm, startNpm } from '../support/npm-start.ts';
import { commandOf, descendantsOf } from '../support/processes.ts';

// `npm start` as a newcomer runs it, its own DynamoDB Local stopped (SIGSTOP) under a create and
// resumed once the answer is in: the function's deadline (4 s here, set as a user would) ends the
// request, and its answer must never be "retry later" for a create that may land.
const DEADLINE_SECONDS = 4;
let started: StartedNpm;
let javaPid: number;
let stopped = false;

const stall = () => {
  process.kill(javaPid, 'SIGSTOP');
  stopped = true;
};
const resume = () => {
  if (stopped) process.kill(javaPid, 'SIGCONT');
  stopped = false;
};

/** Calls the API over HTTP with the banner's token. */
const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${started.base}${path}`, {
    method,
    headers: {
      'x-auth-token': started.token,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
};

/** Sends a request with DynamoDB Local stopped, and resumes it once the answer is in. */
const stalledCall = async (method: string, path: string, body: unknown) => {
  stall();
  try {
    return await call(method, path, body);
  } finally {
    resume();
  }
};

/** Polls until `probe` holds: DynamoDB Local applies what it held in its own time once resumed. */
const eventually = async (probe: () => Promise<boolean>) => {
  for (let n = 0; n < 300; n += 1) {
    if (await probe()) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('never true after 30 s');
};

beforeAll(async () => {
  started = await startNpm(
    {
      ...process.env,
      PORT: String(await freePort()),
      DYNAMODB_LOCAL_PORT: String(await freePort()),
      LOCAL_FUNCTION_TIMEOUT_SECONDS: String(DEADLINE_SECONDS),
    },
    ['--', '--in-memory'],
  );
  const java = descendantsOf(started.child.pid ?? 0).find((pid) => commandOf(pid).includes('DynamoDBLocal'));
  if (java === undefined) throw new Error(`no DynamoDB Local under npm start:\n${started.output()}`);
  javaPid = java;
});
afterAll(async () => {
  resume();
  await started?.stop();
});

describe('npm start with its DynamoDB Local stopped during a create', () => {
  it('create instance: 503 CQ.5032 by the deadline, and the list by name shows what landed once DynamoDB resumed', async () => {
    const sentAt = Date.now();
    const created = await stalledCall('POST', '/v2/demo/apigw/instances', { instance_name: 'stalled-instance' });
    expect(created).toMatchObject({ status: 503, body: { error_code: 'CQ.5032' } });
    expect(Date.now() - sentAt).toBeLessThan(DEADLINE_SECONDS * 1000 + 2000);
    await eventually(
      async () => (await call('GET', '/v2/demo/apigw/instances?name=stalled-instance')).body.total === 1,
    );
  });

  describe('in an instance', () => {
    let base: string;
    beforeAll(async () => {
      const created = await call('POST', '/v2/demo/apigw/instances', { instance_name: 'stall-host' });
      base = `/v2/demo/apigw/instances/${created.body.instance_id}`;
    });

    it('create app: never CQ.5030; 503 CQ.5031 names a token, and the repeat under it gives the app and its secret, once', async () => {
      const first = await stalledCall('POST', `${base}/apps`, { name: 'late-app' });
      expect(first.body.error_code).not.toBe('CQ.5030');
      expect(first).toMatchObject({ status: 503, body: { error_code: 'CQ.5031' } });
      const clientToken = first.headers.get('x-client-token') ?? '';
      expect(clientToken).toMatch(/^[A-Za-z0-9]{32}$/);

      const repeated = await call('POST', `${base}/apps`, { name: 'late-app' }, { 'x-client-token': clientToken });
      expect(repeated).toMatchObject({ status: 201, body: { name: 'late-app' } });
      expect(repeated.body.app_secret).toMatch(/\S{8,}/);
      // The secret works: the app it belongs to is the one stored, and only one was made.
      const listed = await call('GET', `${base}/apps?name=late-app`);
      expect(listed.body.total).toBe(1);
      expect(listed.body.apps[0]).toMatchObject({ id: repeated.body.id, app_key: repeated.body.app_key });
    });

    it('create quota: 503 CQ.5032, and the list by name shows what landed once DynamoDB resumed', async () => {
      const quota = { name: 'stalled_quota', call_limits: 5, time_unit: 'MINUTE', time_interval: 1 };
      const created = await stalledCall('POST', `${base}/app-quotas`, quota);
      expect(created).toMatchObject({ status: 503, body: { error_code: 'CQ.5032' } });
      await eventually(async () => (await call('GET', `${base}/app-quotas?name=stalled_quota`)).body.total === 1);
    });
  });
});
