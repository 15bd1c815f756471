import { createHash, createHmac } from 'node:crypto';

/**
 * A signer written from the vendor SDKs' algorithm (shared/reference/apig-facts.md, "Request
 * signing"), independently of the service's verifier, to sign requests as an unchanged SDK
 * script would: it adds `X-Sdk-Date` and `host`, signs every header it has, and returns the
 * headers to send.
 */
export interface SdkRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** Query parameters as the SDK holds them: decoded, an array for a repeated name. */
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** The JSON body text exactly as it will be sent. */
  readonly body?: string;
  readonly date?: Date;
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

const percentEncode = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) => {
      const c = String.fromCharCode(byte);
      return byte < 0x80 && UNRESERVED.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');

const sdkDate = (date: Date): string => `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;

/** The query string the way an HTTP client sends it (space as `+`, `*` as is), for the URL. */
export const wireQuery = (query: SdkRequest['query'] = {}): string =>
  Object.entries(query)
    .flatMap(([name, value]) => (typeof value === 'string' ? [value] : [...value]).map((v) => [name, v] as const))
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value).replace(/%20/g, '+')}`)
    .join('&');

/** The headers an SDK sends for the request, `Authorization` included. */
export const sdkSign = (request: SdkRequest, accessKey: string, secretKey: string): Record<string, string> => {
  const headers: Record<string, string> = {
    ...request.headers,
    'X-Sdk-Date': sdkDate(request.date ?? new Date()),
    host: request.host,
  };
  const names = Object.keys(headers).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  const signedHeaders = names.map((name) => name.toLowerCase()).join(';');
  const canonicalHeaders = names.map((name) => `${name.toLowerCase()}:${headers[name]}\n`).join('');
  let uri = request.path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
  if (!uri.endsWith('/')) uri += '/';
  const query = Object.keys(request.query ?? {})
    .sort()
    .flatMap((name) => {
      const value = request.query?.[name] ?? [];
      const values = typeof value === 'string' ? [value] : [...value].sort();
      return values.map((v) => `${percentEncode(name)}=${percentEncode(v)}`);
    })
    .join('&');
  const payloadHash = createHash('sha256')
    .update(request.body ?? '')
    .digest('hex');
  const canonical = [request.method, uri, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const toSign = ['SDK-HMAC-SHA256', headers['X-Sdk-Date'], createHash('sha256').update(canonical).digest('hex')].join(
    '\n',
  );
  const signature = createHmac('sha256', secretKey).update(toSign).digest('hex');
  return {
    ...headers,
    Authorization: `SDK-HMAC-SHA256 Access=${accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
};
