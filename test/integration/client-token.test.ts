import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { injectFaults } from '../support/fault-injector.ts';
import { newInstance } from '../support/fixtures.ts';
import { tableSnapshot } from '../support/table-snapshot.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

const created = async () => {
  const instance = await newInstance(api);
  const post = (body: unknown, clientToken?: string) =>
    api.call('POST', `${instance.base}/apps`, {
      token: instance.token,
      body,
      headers: clientToken === undefined ? {} : { 'x-client-token': clientToken },
    });
  return { ...instance, post };
};

describe('X-Client-Token on create app', () => {
  it('a repeat of a create that succeeded gets the same 201, secret included, and creates nothing more', async () => {
    const { post, call } = await created();
    const first = await post({ name: 'repeatable' }, 'req-1');
    expect(first.status).toBe(201);
    expect(first.headers['x-client-token']).toBe('req-1');
    const repeat = await post({ name: 'repeatable' }, 'req-1');
    expect(repeat).toMatchObject({ status: 201, body: first.body, headers: { 'x-client-token': 'req-1' } });
    expect((await call('GET', '/apps')).body.total).toBe(1);
  });

  it('concurrent requests under one token make one app, and every one of them answers it', async () => {
    const { post, call } = await created();
    const answers = await Promise.all(Array.from({ length: 6 }, () => post({ name: 'raced' }, 'same-token')));
    for (const answer of answers) expect(answer).toMatchObject({ status: 201, body: answers[0]?.body });
    expect((await call('GET', '/apps')).body.total).toBe(1);
  });

  it('the token of another request is refused with 422 CQ.4220 and changes nothing', async () => {
    const { post } = await created();
    expect((await post({ name: 'first' }, 'shared')).status).toBe(201);
    const before = await tableSnapshot(api.db);
    for (const body of [
      { name: 'second' },
      { name: 'first', remark: 'other' },
      { name: 'first', app_secret: 'Aa1-'.repeat(4) },
    ]) {
      expect(await post(body, 'shared'), JSON.stringify(body)).toMatchObject({
        status: 422,
        body: { error_code: 'CQ.4220' },
      });
    }
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it('a malformed token is 400 APIG.2012 naming the header, and changes nothing', async () => {
    const { post } = await created();
    const before = await tableSnapshot(api.db);
    for (const token of ['', 'a'.repeat(65), 'has space', 'slash/y', 'ü']) {
      expect(await post({ name: 'never' }, token), token).toMatchObject({
        status: 400,
        body: { error_code: 'APIG.2012', error_msg: expect.stringContaining('X-Client-Token') },
      });
    }
    expect(await tableSnapshot(api.db)).toEqual(before);
  });

  it('after the secret is reset the first answer is gone with it: the repeat is a new create (name taken)', async () => {
    const { post, call } = await created();
    const first = await post({ name: 'rotated' }, 'before-reset');
    expect((await call('PUT', `/apps/secret/${first.body.id}`, {})).status).toBe(200);
    const repeat = await post({ name: 'rotated' }, 'before-reset');
    expect(repeat).toMatchObject({ status: 400, body: { error_code: 'CQ.4001' } });
    expect(JSON.stringify(repeat.body)).not.toContain(first.body.app_secret);
  });

  it('even when the reset could not remove the record, the old secret is never given again: 409 CQ.4090', async () => {
    const { post, call } = await created();
    const first = await post({ name: 'half-rotated' }, 'stale-record');
    const faults = injectFaults(api.db.client, { operation: 'DeleteItem', kind: 'throttle' });
    try {
      // The secret is replaced; removing the record is refused past every retry.
      expect((await call('PUT', `/apps/secret/${first.body.id}`, {})).status).toBe(503);
    } finally {
      faults.remove();
    }
    const repeat = await post({ name: 'half-rotated' }, 'stale-record');
    expect(repeat).toMatchObject({ status: 409, body: { error_code: 'CQ.4090' } });
    expect(JSON.stringify(repeat.body)).not.toContain(first.body.app_secret);
  });

  it('once the app is deleted its record goes with it: the repeat creates the app anew', async () => {
    const { post, call } = await created();
    const before = await tableSnapshot(api.db);
    const first = await post({ name: 'deleted-one' }, 'then-deleted');
    expect((await call('DELETE', `/apps/${first.body.id}`)).status).toBe(204);
    expect(await tableSnapshot(api.db)).toEqual(before);
    const again = await post({ name: 'deleted-one' }, 'then-deleted');
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
  });
});
