import { testEvent } from './api-client.ts';

/**
 * The tests' custom domain API mapping. Behind a mapping `v1`, API Gateway matches `/v1/v2/...` to
 * the route `POST /v2/...` and hands the function `rawPath` `/v1/v2/...`, the base path kept.
 */
export const BASE_PATH = 'v1';

/** The event API Gateway sends for a request to `/<base path><url>`: route matched, base path left in rawPath. */
export const mappedEvent = (method: string, url: string, token: string, body?: unknown) => {
  const { fn, event } = testEvent(method, url, { token, body });
  const rawPath = `/${BASE_PATH}${event.rawPath}`;
  return {
    fn,
    event: {
      ...event,
      rawPath,
      requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: rawPath } },
    },
  };
};
