/**
 * Runtime configuration, read from the environment once. Every setting has the default that a
 * local run needs, so `npm start` and the tests work with no environment at all.
 */
import { refusalRecheckFromEnv } from '#domain/refusals.ts';

/** The service's name in logs, tags and descriptions. */
export const SERVICE_NAME = 'credential-quota';

/** The HS256 secret that local runs and tests sign and verify tokens with when none is given. */
export const DEVELOPMENT_JWT_SECRET = 'credential-quota-local-development-secret-change-me';

/** Where tokens are verified against. */
export type AuthConfig =
  | { readonly kind: 'hs256-secret'; readonly secret: string }
  | { readonly kind: 'hs256-secret-arn'; readonly secretArn: string }
  | { readonly kind: 'jwks'; readonly jwksUrl: string; readonly issuer: string; readonly audience: string };

/** The key that seals access keys' secrets in the table, given or kept in Secrets Manager. */
export type AccessKeySealing =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'secret-arn'; readonly secretArn: string };

/** The key local runs and tests seal access keys' secrets with when none is given. */
export const DEVELOPMENT_ACCESS_KEY_SEALING_KEY = 'credential-quota-local-access-key-sealing-change-me';

/** How many instances a project may hold unless configured: each list of them reads them all. */
export const DEFAULT_INSTANCES_PER_PROJECT = 100;

/** Limits on how many resources one instance may hold (the vendor's defaults). */
export interface ResourceLimits {
  readonly appsPerInstance: number;
  /** Instances one project may hold (`MAX_INSTANCES_PER_PROJECT`): bounds what a list of them reads. */
  readonly instancesPerProject?: number;
  readonly quotasPerInstance: number;
}

/** The longest a token may live, from its `iat` (or from now) to its `exp`, unless configured. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

/** What every function needs to know about its environment, the data plane's included. */
export interface SharedConfig {
  readonly tableName: string;
  readonly dynamodbEndpoint: string | undefined;
  readonly region: string;
  readonly auth: AuthConfig;
  /** `AUTH_MAX_TOKEN_LIFETIME_SECONDS`: a token meant to live longer is refused (401). */
  readonly maxTokenLifetimeSeconds: number;
  /** `ACCESS_KEY_SECRET_ARN` in AWS, `ACCESS_KEY_SEALING_KEY` (or the development default) locally. */
  readonly accessKeySealing: AccessKeySealing;
  /** The custom domain's API mapping key (`API_BASE_PATH`), which API Gateway leaves in `rawPath`. */
  readonly basePath: string | undefined;
  /**
   * Whether to write EMF metrics: only inside Lambda (`AWS_LAMBDA_FUNCTION_NAME`), whose log
   * stream CloudWatch reads them from; elsewhere they would be noise on stdout.
   */
  readonly emitMetrics: boolean;
  /**
   * `REFUSAL_RECHECK_MS`, D: how often a container that answers a credential's refusals from
   * memory asks DynamoDB again (0 to 5,000 ms, 0 = never from memory; default 1,000).
   */
  readonly refusalRecheckMs: number;
}

/** Everything the control plane's handlers need to know: the shared settings and the resource limits. */
export interface Config extends SharedConfig {
  readonly limits: ResourceLimits;
}

const positiveInteger = (value: string | undefined, fallback: number): number => {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : fallback;
};

const authFrom = (env: NodeJS.ProcessEnv): AuthConfig => {
  if (env.AUTH_JWKS_URL) {
    // Without both checks any token the issuer signed, for any client of it, would be accepted.
    if (!env.AUTH_ISSUER || !env.AUTH_AUDIENCE)
      throw new Error('AUTH_JWKS_URL needs AUTH_ISSUER and AUTH_AUDIENCE: tokens are checked against both');
    return { kind: 'jwks', jwksUrl: env.AUTH_JWKS_URL, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE };
  }
  if (env.AUTH_SECRET_ARN) return { kind: 'hs256-secret-arn', secretArn: env.AUTH_SECRET_ARN };
  return { kind: 'hs256-secret', secret: env.AUTH_JWT_SECRET || DEVELOPMENT_JWT_SECRET };
};

/**
 * Reads the settings every function needs from an environment (the process's by default). The
 * data plane reads these only, so its bundle does not carry the control plane's.
 */
export const readSharedConfig = (env: NodeJS.ProcessEnv = process.env): SharedConfig => ({
  tableName: env.TABLE_NAME || 'credential-quota',
  dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
  region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
  auth: authFrom(env),
  maxTokenLifetimeSeconds: positiveInteger(env.AUTH_MAX_TOKEN_LIFETIME_SECONDS, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS),
  accessKeySealing: env.ACCESS_KEY_SECRET_ARN
    ? { kind: 'secret-arn', secretArn: env.ACCESS_KEY_SECRET_ARN }
    : { kind: 'key', key: env.ACCESS_KEY_SEALING_KEY || DEVELOPMENT_ACCESS_KEY_SEALING_KEY },
  basePath: env.API_BASE_PATH || undefined,
  emitMetrics: Boolean(env.AWS_LAMBDA_FUNCTION_NAME),
  refusalRecheckMs: refusalRecheckFromEnv(env.REFUSAL_RECHECK_MS),
});

/** Reads the control plane's configuration from an environment (the process's by default). */
export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => ({
  ...readSharedConfig(env),
  limits: {
    appsPerInstance: positiveInteger(env.MAX_APPS_PER_INSTANCE, 50),
    instancesPerProject: positiveInteger(env.MAX_INSTANCES_PER_PROJECT, DEFAULT_INSTANCES_PER_PROJECT),
    quotasPerInstance: positiveInteger(env.MAX_QUOTAS_PER_INSTANCE, 50),
  },
});
