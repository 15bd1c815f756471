import { createSecretBox } from '#domain/secret-box.ts';
import { type CreatedAccessKey, createAccessKey } from '#use-cases/access-keys.ts';
import type { TestApi, TestResponse } from './api-client.ts';
import { type SdkRequest, sdkSign, wireQuery } from './sdk-signer.ts';
import { TEST_SEALING_KEY } from './tokens.ts';

/** The host the signed test requests claim to reach. */
export const SIGNED_HOST = 'apig.test.example:443';

/** A new access key of the test deployment (sealed with its key) for a project and its actions. */
export const newAccessKey = (api: TestApi, projectId: string, actions: readonly string[] = ['apig:*']) =>
  createAccessKey(api.deps, createSecretBox(TEST_SEALING_KEY), { projectId, actions });

/** What a signed test request is: the SDK's view of it, and what to change after signing. */
export interface SignedCall {
  readonly method: string;
  readonly path: string;
  readonly query?: SdkRequest['query'];
  readonly body?: unknown;
  readonly date?: Date;
  readonly headers?: Record<string, string>;
  /** Changes the headers after signing (to forge or break a request). */
  readonly tamper?: (headers: Record<string, string>) => Record<string, string>;
  /** Sends this body instead of the signed one. */
  readonly sentBody?: string;
  /** Sends this query string instead of the signed one. */
  readonly sentQuery?: string;
}

/**
 * Sends a request signed as the vendor's SDK signs it (`X-Sdk-Date`, `host`, `X-Project-Id`
 * and `Content-Type` signed) through the deployed handler stack.
 */
export const signedCall = (api: TestApi, key: Pick<CreatedAccessKey, 'accessKey' | 'secretKey'>, call: SignedCall) => {
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  const project = /^\/v2\/([^/]+)/.exec(call.path)?.[1] ?? '';
  const signed = sdkSign(
    {
      method: call.method,
      host: SIGNED_HOST,
      path: call.path,
      query: call.query,
      body,
      date: call.date,
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': project, ...call.headers },
    },
    key.accessKey,
    key.secretKey,
  );
  const query = call.sentQuery ?? wireQuery(call.query);
  const sent = call.sentBody ?? body;
  return api.call(call.method, `${call.path}${query ? `?${query}` : ''}`, {
    headers: call.tamper ? call.tamper(signed) : signed,
    ...(sent === undefined ? {} : { body: sent }),
  }) as Promise<TestResponse>;
};
