import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { utcFromParts } from '#domain/time.ts';

/** The scheme of the vendor SDKs' AK/SK signature, in `Authorization` and the string to sign. */
export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';

/** How far `X-Sdk-Date` may be from the service's clock, either way (the vendor's gateways: 15 min). */
export const SIGNATURE_MAX_SKEW_MS = 15 * 60_000;

/** What the `Authorization` header of a signed request carries. */
export interface SignatureHeader {
  readonly accessKey: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** A request as it reached the service: what its signature covers. */
export interface SignedRequest {
  readonly method: string;
  /** The path as sent (API Gateway's `rawPath`). */
  readonly path: string;
  /** The query string as sent, without `?` (API Gateway's `rawQueryString`). */
  readonly rawQuery: string;
  /** Header values by lower-case name. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body bytes as sent. */
  readonly body: Buffer;
}

// The access key's length is capped: it becomes a partition key, and DynamoDB refuses one over
// 2 KB with an error that would be a 500 for an unauthenticated caller.
const AUTHORIZATION =
  /^SDK-HMAC-SHA256 Access=([A-Za-z0-9]{1,64}), SignedHeaders=([a-z0-9;-]{1,1024}), Signature=([0-9a-f]{64})$/;

/** Reads `SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<hex>`, or `undefined`. */
export const parseSignatureHeader = (authorization: string | undefined): SignatureHeader | undefined => {
  const match = AUTHORIZATION.exec(authorization ?? '');
  if (!match) return undefined;
  return {
    accessKey: match[1] as string,
    signedHeaders: (match[2] as string).split(';'),
    signature: match[3] as string,
  };
};

/** Whether a request carries an SDK signature (rather than a token). */
export const isSignedRequest = (authorization: string | undefined): boolean =>
  authorization?.startsWith(`${SIGNING_ALGORITHM} `) === true;

const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `X-Sdk-Date` (`YYYYMMDDTHHmmssZ`, UTC) as epoch milliseconds, or `undefined` when malformed. */
export const parseSdkDate = (value: string | undefined): number | undefined => {
  const match = SDK_DATE.exec(value ?? '');
  return match ? utcFromParts(match.slice(1, 7))?.getTime() : undefined;
};

// Everything but A-Z a-z 0-9 - _ . ~ becomes %XX of its UTF-8 bytes, upper-case hex.
const encodeQueryPart = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The canonical path: each segment through encodeURIComponent, as the SDK does, ending in `/`. */
const canonicalPath = (path: string): string => {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
};

/** The canonical query: names sorted, each value of a name sorted, every part encoded. */
const canonicalQuery = (rawQuery: string): string => {
  const params = new URLSearchParams(rawQuery);
  const names = [...new Set(params.keys())].sort();
  return names
    .flatMap((name) =>
      params
        .getAll(name)
        .sort()
        .map((value) => `${encodeQueryPart(name)}=${encodeQueryPart(value)}`),
    )
    .join('&');
};

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The string the SDK signs for a request: the algorithm, `X-Sdk-Date`, and the SHA-256 of the
 * canonical request (method, path, query, the signed headers as `name:value` lines, their names,
 * the payload hash: `X-Sdk-Content-Sha256` when sent, else the SHA-256 of the body).
 */
export const stringToSign = (request: SignedRequest, signedHeaders: readonly string[]): string => {
  const headers = signedHeaders.map((name) => `${name}:${request.headers[name] ?? ''}\n`).join('');
  const payloadHash = request.headers['x-sdk-content-sha256'] ?? sha256Hex(request.body);
  const canonical = [
    request.method.toUpperCase(),
    canonicalPath(request.path),
    canonicalQuery(request.rawQuery),
    headers,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  return [SIGNING_ALGORITHM, request.headers['x-sdk-date'] ?? '', sha256Hex(canonical)].join('\n');
};

/** The signature of a string to sign with a secret key: hex HMAC-SHA256 keyed with the SK's UTF-8. */
export const signatureOf = (secretKey: string, toSign: string): string =>
  createHmac('sha256', secretKey).update(toSign).digest('hex');

/** Compares two hex signatures in constant time. */
export const sameSignature = (expected: string, given: string): boolean => {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
};
