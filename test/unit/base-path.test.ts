import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '#http/api-types.ts';
import { lambdaContext } from '#local/api-gateway-event.ts';
import { createServiceHandlers } from '#local/service-handlers.ts';
import type { FunctionName } from '#routing/route-types.ts';
import { freshProject, type TestResponse, testResponse } from '../support/api-client.ts';
import { type FakeApi, fakeApiWithInstance } from '../support/fake-api.ts';
import { BASE_PATH, mappedEvent } from '../support/mapped-event.ts';
import { tokenFor } from '../support/tokens.ts';

// What no route matched is answered from the event alone; the instance exists, as it would
// behind a real mapping, but nothing of it is read (test/integration/base-path.test.ts serves
// every route over stored data).
const INSTANCE_ID = 'c900c5612dbe451bb43cbcc49cfaf2f3';

let api: FakeApi;
let invoke: (fn: FunctionName, event: ApiEvent) => Promise<TestResponse>;
let state: { readonly fixture: { readonly base: string; readonly token: string } };

beforeAll(async () => {
  const project = freshProject();
  api = fakeApiWithInstance(project, INSTANCE_ID);
  const handlers = createServiceHandlers({ ...api.deps, basePath: BASE_PATH });
  invoke = async (fn, event) => testResponse(await handlers[fn](event, lambdaContext(fn)));
  state = {
    fixture: { base: `/v2/${project}/apigw/instances/${INSTANCE_ID}`, token: await tokenFor(project) },
  };
});
afterEach(() => api.fake.assertComplete());

describe('behind a custom domain with a base path', () => {
  it('still answers 405 and 404 for what no route matched ($default), the base path taken off', async () => {
    const { fn, event } = mappedEvent('PATCH', `${state.fixture.base}/apps`, state.fixture.token);
    expect(event.routeKey).toBe('$default');
    const notAllowed = await invoke(fn, event);
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.headers.allow).toBe('POST, GET');
    const unknown = mappedEvent('GET', `${state.fixture.base}/nothing-here`, state.fixture.token);
    expect(unknown.event.routeKey).toBe('$default');
    expect(await invoke(unknown.fn, unknown.event)).toMatchObject({ status: 404, body: { error_code: 'APIG.0101' } });
  });

  it('takes a route key API Gateway matched with a product it does not serve as unknown', async () => {
    const { fn, event } = mappedEvent('GET', state.fixture.base, state.fixture.token);
    const roma = { ...event, pathParameters: { ...event.pathParameters, product: 'roma' } };
    expect(await invoke(fn, roma)).toMatchObject({ status: 404, body: { error_code: 'APIG.0101' } });
  });
});
