import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '#local/free-port.ts';
import { type StartedNpm, startNpm } from '../support/npm-start.ts';

// The vendor's own Node.js SDK core, unchanged: its client signs with AK/SK (AKSKSigner) and
// sends with axios. CommonJS, so loaded with require; its APIG package is not on the npm
// registry, so requests are described as its generated clients describe them.
const require = createRequire(import.meta.url);
const { ClientBuilder } = require('@huaweicloud/huaweicloud-sdk-core/ClientBuilder') as {
  ClientBuilder: new <T>(
    init: (client: VendorClient) => T,
  ) => {
    withCredential(credential: unknown): { withEndpoint(endpoint: string): { build(): VendorClient } };
  };
};
const { BasicCredentials } = require('@huaweicloud/huaweicloud-sdk-core') as {
  BasicCredentials: new () => { withAk(ak: string): { withSk(sk: string): { withProjectId(id: string): unknown } } };
};

interface VendorRequest {
  readonly method: string;
  readonly url: string;
  readonly queryParams?: Record<string, unknown>;
  readonly data?: Record<string, unknown>;
}
interface VendorClient {
  sendRequest(options: Record<string, unknown>): Promise<Record<string, unknown>>;
}

let server: StartedNpm | undefined;
let client: VendorClient;
let otherProjectClient: VendorClient;

const send = (vendor: VendorClient, request: VendorRequest) =>
  vendor
    .sendRequest({
      contentType: 'application/json',
      pathParams: {},
      queryParams: {},
      headers: { 'Content-Type': 'application/json' },
      ...request,
    })
    .then(
      (body) => ({ ok: true as const, body }),
      (error: { httpStatusCode?: number; errorCode?: string; requestId?: string }) => ({ ok: false as const, error }),
    );

beforeAll(async () => {
  const port = await freePort();
  server = await startNpm(
    { ...process.env, PORT: String(port), DYNAMODB_LOCAL_PORT: String(await freePort()), TABLE_NAME: 'vendor-sdk' },
    ['--', '--in-memory'],
  );
  const build = (projectId: string) =>
    new ClientBuilder((c: VendorClient) => c)
      .withCredential(
        new BasicCredentials()
          .withAk(server?.accessKey ?? '')
          .withSk(server?.secretKey ?? '')
          .withProjectId(projectId),
      )
      .withEndpoint(`http://127.0.0.1:${port}`)
      .build();
  client = build('demo');
  otherProjectClient = build('someone-else');
}, 90_000);

afterAll(async () => {
  await server?.stop();
});

describe("the vendor's own SDK client, only its endpoint changed", () => {
  it('creates with a body, lists with a query of spaces, * and unicode, deletes, all signed with the access key npm start printed', async () => {
    const created = await send(client, {
      method: 'POST',
      url: '/v2/{project_id}/apigw/instances',
      data: { instance_name: 'vendor_sdk_gw' },
    });
    expect(created).toMatchObject({ ok: true, body: { instance_name: 'vendor_sdk_gw', httpStatusCode: 201 } });
    const instanceId = String((created as { body?: Record<string, unknown> }).body?.instance_id);
    const apps = `/v2/{project_id}/apigw/instances/${instanceId}/apps`;
    const app = await send(client, {
      method: 'POST',
      url: apps,
      data: { name: 'vendor-app', remark: 'made by the SDK' },
    });
    expect(app).toMatchObject({ ok: true, body: { name: 'vendor-app', creator: 'USER', app_type: 'apig' } });
    const found = await send(client, { method: 'GET', url: apps, queryParams: { name: 'vendor-app', limit: 5 } });
    expect(found).toMatchObject({ ok: true, body: { total: 1, apps: [{ name: 'vendor-app', bind_num: 0 }] } });
    const odd = await send(client, { method: 'GET', url: apps, queryParams: { name: 'a b*ü€', offset: 0 } });
    expect(odd).toMatchObject({ ok: true, body: { total: 0 } });
    const appId = String((app as { body?: Record<string, unknown> }).body?.id);
    const removed = await send(client, { method: 'DELETE', url: `${apps}/${appId}` });
    expect(removed).toMatchObject({ ok: true });
  });

  it('ListInstancesV2 filters by instance_name and instance_id as the SDK sends them', async () => {
    const url = '/v2/{project_id}/apigw/instances';
    const made = await Promise.all(
      ['filter_gw_one', 'filter_gw_two'].map((name) =>
        send(client, { method: 'POST', url, data: { instance_name: name } }),
      ),
    );
    const [one, two] = made.map((result) => String((result as { body?: Record<string, unknown> }).body?.instance_id));
    const byName = await send(client, { method: 'GET', url, queryParams: { instance_name: 'filter_gw_t' } });
    expect(byName).toMatchObject({
      ok: true,
      body: { total: 1, instances: [{ instance_id: two, instance_name: 'filter_gw_two' }] },
    });
    const byId = await send(client, { method: 'GET', url, queryParams: { instance_id: one } });
    expect(byId).toMatchObject({ ok: true, body: { total: 1, instances: [{ instance_id: one }] } });
    const neither = await send(client, { method: 'GET', url, queryParams: { instance_id: one, instance_name: 'two' } });
    expect(neither).toMatchObject({ ok: true, body: { total: 0, instances: [] } });
  });

  it('UpdateAppV2 with app_key or app_secret is refused naming the field, and changes nothing', async () => {
    const url = '/v2/{project_id}/apigw/instances';
    const created = await send(client, { method: 'POST', url, data: { instance_name: 'rotate_gw' } });
    const apps = `${url}/${String((created as { body?: Record<string, unknown> }).body?.instance_id)}/apps`;
    const app = (await send(client, { method: 'POST', url: apps, data: { name: 'rotated' } })) as {
      body: Record<string, unknown>;
    };
    for (const field of ['app_key', 'app_secret']) {
      const update = await send(client, {
        method: 'PUT',
        url: `${apps}/${String(app.body.id)}`,
        data: { name: 'renamed', remark: '', [field]: 'a-new-credential-1234' },
      });
      expect(update).toMatchObject({ ok: false, error: { httpStatusCode: 400, errorCode: 'APIG.2012' } });
      expect(JSON.stringify(update)).toContain(`parameterName:${field}`);
    }
    const shown = await send(client, { method: 'GET', url: `${apps}/${String(app.body.id)}` });
    expect(shown).toMatchObject({ ok: true, body: { name: 'rotated', app_key: app.body.app_key } });
  });

  it("gets the service's errors as the SDK reads them, with X-Request-Id as the request id", async () => {
    const missing = await send(client, { method: 'GET', url: `/v2/{project_id}/apigw/instances/${'0'.repeat(32)}` });
    expect(missing).toMatchObject({ ok: false, error: { httpStatusCode: 404, errorCode: 'APIG.3030' } });
    expect((missing as { error: { requestId?: string } }).error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The key is project demo's: the SDK configured for another project signs X-Project-Id of it.
    const elsewhere = await send(otherProjectClient, { method: 'GET', url: '/v2/{project_id}/apigw/instances' });
    expect(elsewhere).toMatchObject({ ok: false, error: { httpStatusCode: 403, errorCode: 'APIG.1005' } });
  });
});
