import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, freshProject, type TestApi } from '../support/api-client.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';
import { tokenFor } from '../support/tokens.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

const setup = async () => {
  const project = freshProject();
  const token = await tokenFor(project);
  const base = `/v2/${project}/apigw/instances`;
  const create = (body: unknown) => api.call('POST', base, { token, body });
  return { project, token, base, create };
};

describe('create instance', () => {
  it('answers 201 with a 32-hex id, the name, the description and an RFC 3339 UTC time with milliseconds', async () => {
    const { create } = await setup();
    const response = await create({ instance_name: 'gateway_1', description: 'first' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      instance_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      instance_name: 'gateway_1',
      description: 'first',
      create_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
  });

  it('refuses invalid names and descriptions with 400 naming the field, and stores nothing', async () => {
    const { create } = await setup();
    const before = await tableSnapshot(api.db);
    for (const [body, field] of [
      [{}, 'instance_name'],
      [{ instance_name: 'ab' }, 'instance_name'],
      [{ instance_name: '9lives' }, 'instance_name'],
      [{ instance_name: 12345 }, 'instance_name'],
      [{ instance_name: 'valid', description: '<script>' }, 'description'],
      [{ instance_name: 'valid', description: 7 }, 'description'],
    ] as const) {
      const response = await create(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error_msg, JSON.stringify(body)).toContain(`parameterName:${field}.`);
    }
    expect(await tableSnapshot(api.db)).toEqual(before);
  });
});

describe('show instance', () => {
  it('returns what create returned, under either product segment', async () => {
    const { project, token, create } = await setup();
    const created = (await create({ instance_name: 'shown' })).body;
    for (const product of ['apigw', 'apic']) {
      const shown = await api.call('GET', `/v2/${project}/${product}/instances/${created.instance_id}`, { token });
      expect(shown).toMatchObject({ status: 200, body: created });
    }
  });

  it('accepts the id dashed or in capitals', async () => {
    const { base, token, create } = await setup();
    const id: string = (await create({ instance_name: 'dashed' })).body.instance_id;
    const dashed =
      `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`.toUpperCase();
    expect((await api.call('GET', `${base}/${dashed}`, { token })).body.instance_id).toBe(id);
  });

  it('does not exist under another project (404 APIG.3030)', async () => {
    const { create } = await setup();
    const id = (await create({ instance_name: 'private' })).body.instance_id;
    const other = await setup();
    const response = await api.call('GET', `${other.base}/${id}`, { token: other.token });
    expect(response).toEqual({
      status: 404,
      headers: expect.anything(),
      body: { error_code: 'APIG.3030', error_msg: `The instance does not exist;id:${id}` },
    });
  });

  it('refuses a malformed id with 400 naming instance_id', async () => {
    const { base, token } = await setup();
    const response = await api.call('GET', `${base}/not-an-id`, { token });
    expect(response.status).toBe(400);
    expect(response.body.error_msg).toContain('parameterName:instance_id.');
  });
});

describe('list instances', () => {
  it('lists the project’s instances by name, case-insensitively, with total, size, offset and limit', async () => {
    const { token, base, create } = await setup();
    for (const name of ['delta', 'Alpha', 'charlie', 'bravo', 'alpha2']) await create({ instance_name: name });
    const all = await api.call('GET', base, { token });
    expect(all.body.total).toBe(5);
    expect(all.body.size).toBe(5);
    expect(all.body.instances.map((i: { instance_name: string }) => i.instance_name)).toEqual([
      'Alpha',
      'alpha2',
      'bravo',
      'charlie',
      'delta',
    ]);
    const page = await api.call('GET', `${base}?offset=1&limit=2`, { token });
    expect(page.body).toMatchObject({ total: 5, size: 2 });
    expect(page.body.instances.map((i: { instance_name: string }) => i.instance_name)).toEqual(['alpha2', 'bravo']);
    const filtered = await api.call('GET', `${base}?name=ALPH`, { token });
    expect(filtered.body).toMatchObject({ total: 2, size: 2 });
    const beyond = await api.call('GET', `${base}?offset=10`, { token });
    expect(beyond.body).toEqual({ total: 5, size: 0, instances: [] });
  });

  it('shows no instance of another project', async () => {
    const mine = await setup();
    await mine.create({ instance_name: 'mine' });
    const other = await setup();
    expect((await api.call('GET', other.base, { token: other.token })).body).toEqual({
      total: 0,
      size: 0,
      instances: [],
    });
  });

  it('refuses a non-integer offset or limit with 400 naming it', async () => {
    const { token, base } = await setup();
    expect((await api.call('GET', `${base}?limit=ten`, { token })).body.error_msg).toContain('parameterName:limit.');
    expect((await api.call('GET', `${base}?offset=1.5`, { token })).body.error_msg).toContain('parameterName:offset.');
  });
});

describe('instances per project', () => {
  it('refuses an instance beyond the limit with 403 APIG.3100, changing nothing, and counts deletes', async () => {
    const limited = await createTestApi({ limits: { instancesPerProject: 2 } });
    const project = freshProject();
    const token = await tokenFor(project);
    const base = `/v2/${project}/apigw/instances`;
    const create = (name: string) => limited.call('POST', base, { token, body: { instance_name: name } });
    const first = await create('gateway_one');
    expect((await create('gateway_two')).status).toBe(201);
    const before = await tableSnapshot(limited.db);
    expect((await create('gateway_three')).body).toEqual({
      error_code: 'APIG.3100',
      error_msg: 'The number of resources exceeds the maximum allowed limit',
    });
    expect(await tableSnapshot(limited.db)).toEqual(before);
    // Another project has its own count.
    const other = freshProject();
    const elsewhere = await limited.call('POST', `/v2/${other}/apigw/instances`, {
      token: await tokenFor(other),
      body: { instance_name: 'gateway_one' },
    });
    expect(elsewhere.status).toBe(201);
    expect((await limited.call('DELETE', `${base}/${first.body.instance_id}`, { token })).status).toBe(204);
    expect((await create('gateway_three')).status).toBe(201);
    expect((await limited.call('GET', base, { token })).body).toMatchObject({ total: 2 });
  });

  it('counts a burst of parallel creates exactly: never more instances than the limit', async () => {
    const limited = await createTestApi({ limits: { instancesPerProject: 5 } });
    const project = freshProject();
    const token = await tokenFor(project);
    const base = `/v2/${project}/apigw/instances`;
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        limited.call('POST', base, { token, body: { instance_name: `burst_${n}` } }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect(statuses.filter((status) => status !== 201 && status !== 403)).toEqual([]);
    expect((await limited.call('GET', base, { token })).body).toMatchObject({ total: 5 });
  });
});
