import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in for the Parameters and Secrets Lambda Extension on loopback, and what it was asked. */
export interface SecretsExtension {
  /** The secret ids asked for, in order. */
  readonly requests: string[];
  /** Answer the next requests with this status instead of the secret (0: answer normally). */
  failWith: number;
  readonly stop: () => Promise<void>;
}

/** The session token the stand-in demands, as the real extension demands the function's. */
export const SESSION_TOKEN = 'test-session-token';

/**
 * Serves `GET /secretsmanager/get?secretId=` as the extension does (GetSecretValue's JSON; 400
 * without the session token, 404 for an unknown secret) and points the process at it
 * (`PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, `AWS_SESSION_TOKEN`) until stopped.
 */
export const startSecretsExtension = async (secrets: Readonly<Record<string, string>>): Promise<SecretsExtension> => {
  const requests: string[] = [];
  const state = { failWith: 0 };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const secretId = url.searchParams.get('secretId') ?? '';
    requests.push(secretId);
    const secret = secrets[secretId];
    const status =
      state.failWith ||
      (request.headers['x-aws-parameters-secrets-token'] !== SESSION_TOKEN
        ? 400
        : url.pathname !== '/secretsmanager/get' || secret === undefined
          ? 404
          : 200);
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(status === 200 ? JSON.stringify({ ARN: secretId, Name: 'secret', SecretString: secret }) : '{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const saved = {
    port: process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT,
    token: process.env.AWS_SESSION_TOKEN,
  };
  process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String((server.address() as AddressInfo).port);
  process.env.AWS_SESSION_TOKEN = SESSION_TOKEN;
  const extension: SecretsExtension = {
    requests,
    get failWith() {
      return state.failWith;
    },
    set failWith(status: number) {
      state.failWith = status;
    },
    stop: async () => {
      restore('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', saved.port);
      restore('AWS_SESSION_TOKEN', saved.token);
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  return extension;
};

const restore = (name: string, value: string | undefined): void => {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
};
