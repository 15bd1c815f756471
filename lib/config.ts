/**
 * Runtime configuration, read from the environment once. Every setting has the default that a
 * local run needs, so `npm start` and the tests work with no environment at all.
 */

/** The service's name in logs, tags and descriptions. */
export const SERVICE_NAME = 'credential-quota';

/** The HS256 secret that local runs and tests sign and verify tokens with when none is given. */
export const DEVELOPMENT_JWT_SECRET = 'credential-quota-local-development-secret-change-me';

/** Where tokens are verified against. */
export type AuthConfig =
  | { readonly kind: 'hs256-secret'; readonly secret: string }
  | { readonly kind: 'hs256-secret-arn'; readonly secretArn: string }
  | { readonly kind: 'jwks'; readonly jwksUrl: string; readonly issuer: string; readonly audience: string };

/** Limits on how many resources one instance may hold (the vendor's defaults). */
export interface ResourceLimits {
  readonly appsPerInstance: number;
  readonly quotasPerInstance: number;
}

/** Everything the handlers need to know about their environment. */
export interface Config {
  readonly tableName: string;
  readonly dynamodbEndpoint: string | undefined;
  readonly region: string;
  readonly auth: AuthConfig;
  readonly limits: ResourceLimits;
  /** The custom domain's API mapping key (`API_BASE_PATH`), which API Gateway leaves in `rawPath`. */
  readonly basePath: string | undefined;
  /**
   * Whether to write EMF metrics: only inside Lambda (`AWS_LAMBDA_FUNCTION_NAME`), whose log
   * stream CloudWatch reads them from; elsewhere they would be noise on stdout.
   */
  readonly emitMetrics: boolean;
}

const positiveInteger = (value: string | undefined, fallback: number): number => {
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) && parsed > 0 ? parsed : fallback;
};

const authFrom = (env: NodeJS.ProcessEnv): AuthConfig => {
  if (env.AUTH_JWKS_URL) {
    return {
      kind: 'jwks',
      jwksUrl: env.AUTH_JWKS_URL,
      issuer: env.AUTH_ISSUER ?? '',
      audience: env.AUTH_AUDIENCE ?? '',
    };
  }
  if (env.AUTH_SECRET_ARN) return { kind: 'hs256-secret-arn', secretArn: env.AUTH_SECRET_ARN };
  return { kind: 'hs256-secret', secret: env.AUTH_JWT_SECRET || DEVELOPMENT_JWT_SECRET };
};

/** Reads the configuration from an environment (the process's by default). */
export const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => ({
  tableName: env.TABLE_NAME || 'credential-quota',
  dynamodbEndpoint: env.DYNAMODB_ENDPOINT || undefined,
  region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
  auth: authFrom(env),
  limits: {
    appsPerInstance: positiveInteger(env.MAX_APPS_PER_INSTANCE, 50),
    quotasPerInstance: positiveInteger(env.MAX_QUOTAS_PER_INSTANCE, 50),
  },
  basePath: env.API_BASE_PATH || undefined,
  emitMetrics: Boolean(env.AWS_LAMBDA_FUNCTION_NAME),
});
