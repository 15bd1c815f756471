/**
 * The AWS Parameters and Secrets Lambda Extension's default port (the stack attaches the
 * extension's layer; `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` moves it).
 */
export const SECRETS_EXTENSION_PORT = 2773;

/**
 * How long the extension may take: its first answer in a container calls Secrets Manager (tens of
 * milliseconds), later ones come from its cache. Read once per container, so this adds to a cold
 * container's first request only.
 */
export const SECRET_READ_TIMEOUT_MS = 1_000;

/** Reads a secret's string by ARN. */
export type SecretReader = (secretArn: string) => Promise<string>;

/**
 * Reads a Secrets Manager secret through the Parameters and Secrets Lambda Extension, which runs
 * beside the function and answers on localhost with GetSecretValue's JSON. The data plane then
 * carries no Secrets Manager client (14 KB of its bundle, docs/design.md, "A lean data plane"); the
 * extension signs the call with the function's role. The session token proves the caller is
 * the function (the extension refuses requests without it).
 */
export const readSecretThroughExtension: SecretReader = async (secretArn) => {
  const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT || String(SECRETS_EXTENSION_PORT);
  const url = `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretArn)}`;
  const response = await fetch(url, {
    headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' },
    signal: AbortSignal.timeout(SECRET_READ_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`secret ${secretArn}: the secrets extension answered ${response.status}`);
  const { SecretString } = (await response.json()) as { SecretString?: unknown };
  if (typeof SecretString !== 'string' || SecretString === '')
    throw new Error(`secret ${secretArn} has no SecretString`);
  return SecretString;
};

/**
 * A secret's string, read once per container on first use (never at import: the extension
 * serves only once the function's initialization is over). A failed read does not poison the
 * warm container: the next call tries again.
 */
export const cachedSecretValue = (
  secretArn: string,
  read: SecretReader = readSecretThroughExtension,
): (() => Promise<string>) => {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= read(secretArn).catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
    return cached;
  };
};
