import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { quotaGuard } from '#guard/quota-guard.ts';
import { lambdaContext, toApiGatewayEvent } from '#local/api-gateway-event.ts';
import { createTestApi, type TestApi } from '../support/api-client.ts';
import { newInstance } from '../support/fixtures.ts';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});

describe('quotaGuard Middy middleware', () => {
  it('runs the handler while the credential has units (adding the RateLimit fields), then answers 429 without it', async () => {
    const { call, createQuota, bind, project, instanceId } = await newInstance(api);
    const app = (await call('POST', '/apps', { name: 'guarded' })).body;
    const quotaId = await createQuota('guarded', { call_limits: 2, time_interval: 1 });
    await bind(quotaId, [app.id]);

    const business = vi.fn(async () => ({ statusCode: 200, body: 'hello' }));
    const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
      .use(
        quotaGuard({
          deps: api.deps,
          projectId: project,
          instanceId,
          appKeyFrom: (event: APIGatewayProxyEventV2) => event.headers['x-app-key'],
        }),
      )
      .handler(business);
    const request = (key: string) =>
      handler(
        toApiGatewayEvent({ method: 'GET', url: '/hello', headers: { 'x-app-key': key } }).event,
        lambdaContext('guarded'),
      );

    const first = await request(app.app_key);
    expect(first).toMatchObject({ statusCode: 200, body: 'hello' });
    expect(first.headers).toMatchObject({
      RateLimit: `"${quotaId}";r=1;t=60`,
      'RateLimit-Policy': `"${quotaId}";q=2;w=60`,
    });
    expect((await request(app.app_key)).statusCode).toBe(200);
    const refused = await request(app.app_key);
    expect(refused.statusCode).toBe(429);
    expect(JSON.parse(refused.body ?? '')).toEqual({
      error_code: 'APIG.0308',
      error_msg: `The throttling threshold has been reached: app quota ${quotaId}`,
    });
    expect(refused.headers).toMatchObject({ 'Retry-After': expect.any(String), RateLimit: `"${quotaId}";r=0;t=60` });
    expect(business).toHaveBeenCalledTimes(2);

    const unknown = await request('not-a-known-key');
    expect(unknown.statusCode).toBe(404);
    expect(business).toHaveBeenCalledTimes(2);
  });

  it('refuses a cost that is not an integer from 1 to 1000 with 400, counting nothing', async () => {
    const { call, createQuota, bind, project, instanceId } = await newInstance(api);
    const app = (await call('POST', '/apps', { name: 'guarded' })).body;
    await bind(await createQuota('guarded', { call_limits: 5 }), [app.id]);
    for (const cost of [0, -5, 1.5, Number.NaN, 1001]) {
      const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
        .use(
          quotaGuard({
            deps: api.deps,
            projectId: project,
            instanceId,
            appKeyFrom: () => app.app_key,
            costOf: () => cost,
          }),
        )
        .handler(async () => ({ statusCode: 200 }));
      const response = await handler(toApiGatewayEvent({ method: 'GET', url: '/x' }).event, lambdaContext('guarded'));
      expect(response.statusCode, String(cost)).toBe(400);
    }
    expect((await call('GET', `/apps/${app.id}/quota-usage`)).body.used).toBe(0);
  });
});
