import { invalidParameter } from '#domain/errors.ts';
import type { ApiRequest } from './api-types.ts';

/** The header a client names a create request with, so that a repeat of it gets the same answer. */
export const CLIENT_TOKEN_HEADER = 'X-Client-Token';

// Room for a UUID, a ULID or a hash in base64url, and nothing that needs escaping in a key.
const CLIENT_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** The request's `X-Client-Token`, if it sent one; 400 `APIG.2012` naming the header if malformed. */
export const clientTokenOf = (request: ApiRequest): string | undefined => {
  const token = request.headers[CLIENT_TOKEN_HEADER.toLowerCase()];
  if (token === undefined) return undefined;
  if (!CLIENT_TOKEN.test(token)) throw invalidParameter(CLIENT_TOKEN_HEADER);
  return token;
};
