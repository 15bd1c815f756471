import type { App, Environment } from 'aws-cdk-lib';
import { SERVICE_NAME } from '#app/config.ts';
import { checkRetentionDays, checkThresholds, thresholdsFromText } from '#domain/usage-window.ts';
import { isProductionStage, parseStage, stackNames } from './stage.ts';
import { StatefulStack } from './stateful-stack.ts';
import { type AuthOptions, type CustomDomainOptions, StatelessStack } from './stateless-stack.ts';

/** Everything about a deployment besides its stage. */
export interface AppOptions {
  /** @default a generated HS256 secret in Secrets Manager */
  readonly auth?: AuthOptions;
  /** @default - no concurrency reserved for quota-consumptions */
  readonly consumeConcurrency?: number;
  /**
   * X-Ray traces and Lambda's per-invocation platform lines for quota-consumptions.
   * @default false: about $0.55 per million checks less (docs/design.md, "Cost per million checks")
   */
  readonly consumeDiagnostics?: boolean;
  /** @default - alarms notify the stage's SNS topic, which nobody is subscribed to */
  readonly alarmEmail?: string;
  /** Origins browsers may call the API from. @default - no CORS: browsers cannot call the API */
  readonly corsOrigins?: readonly string[];
  /** @default - the API is served at its execute-api URL only */
  readonly customDomain?: CustomDomainOptions;
  /** Where threshold events are also posted. @default - the alarm topic only */
  readonly alertWebhookUrl?: string;
  /** Threshold percentages of the stage. @default 80 and 100 */
  readonly alertThresholds?: readonly number[];
  /** Days the usage history keeps a closed window. @default 90 */
  readonly historyRetentionDays?: number;
  /** @default - environment-agnostic stacks */
  readonly env?: Environment;
}

/** The two stacks of one stage. */
export interface ServiceStacks {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

export { stackNames } from './stage.ts';

/**
 * Adds one stage's two stacks to the app: the stateful stack (the table) and the stateless stack
 * (secret, functions, API), which receives the table as a typed prop. `bin/app.ts` and the infra
 * tests both build the app through this function, so the tests check what is deployed.
 */
export const buildApp = (app: App, stage: string, options: AppOptions = {}): ServiceStacks => {
  parseStage(stage);
  const names = stackNames(stage);
  const common = { env: options.env, tags: { service: SERVICE_NAME, stage } };
  const stateful = new StatefulStack(app, names.stateful, {
    ...common,
    stage,
    description: `${SERVICE_NAME} (${stage}): data`,
    terminationProtection: isProductionStage(stage),
  });
  const stateless = new StatelessStack(app, names.stateless, {
    ...common,
    stage,
    description: `${SERVICE_NAME} (${stage}): API and functions`,
    table: stateful.table,
    accessKeySealing: stateful.accessKeySealingSecret,
    auth: options.auth,
    consumeConcurrency: options.consumeConcurrency,
    consumeDiagnostics: options.consumeDiagnostics,
    alarmEmail: options.alarmEmail,
    corsOrigins: options.corsOrigins,
    customDomain: options.customDomain,
    alertWebhookUrl: options.alertWebhookUrl,
    alertThresholds: options.alertThresholds,
    historyRetentionDays: options.historyRetentionDays,
  });
  return { stateful, stateless };
};

const optionalString = (app: App, key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`context ${key} must be a string`);
  return value;
};

const authFromContext = (app: App): AuthOptions | undefined => {
  const jwksUrl = optionalString(app, 'jwksUrl');
  const issuer = optionalString(app, 'issuer');
  const audience = optionalString(app, 'audience');
  if (jwksUrl === undefined) {
    // Silently ignoring them would deploy HS256 verification to someone who asked for OIDC.
    if (issuer !== undefined || audience !== undefined) throw new Error('context issuer and audience need jwksUrl');
    return undefined;
  }
  if (!URL.canParse(jwksUrl) || new URL(jwksUrl).protocol !== 'https:') {
    throw new Error(`context jwksUrl must be an https URL, got ${JSON.stringify(jwksUrl)}`);
  }
  // Without both checks any token signed by the issuer's keys, for any client, would be accepted.
  if (issuer === undefined || audience === undefined) throw new Error('context jwksUrl needs issuer and audience');
  return { kind: 'jwks', jwksUrl, issuer, audience };
};

// Enough to catch a typo or a missing value; SNS itself confirms the address by mail.
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

const alarmEmailFromContext = (app: App): string | undefined => {
  const email = optionalString(app, 'alarmEmail');
  if (email !== undefined && !EMAIL.test(email)) {
    throw new Error(`context alarmEmail must be an e-mail address, got ${JSON.stringify(email)}`);
  }
  return email;
};

const corsOriginsFromContext = (app: App): readonly string[] | undefined => {
  const list = optionalString(app, 'corsOrigins');
  if (list === undefined) return undefined;
  const origins = list.split(',').map((origin) => origin.trim());
  for (const origin of origins) {
    // An origin is exactly scheme, host and port: a path, a trailing slash or `*` would match nothing
    // a browser sends, or everything.
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw new Error(
        `context corsOrigins must be origins like https://app.example.com, got ${JSON.stringify(origin)}`,
      );
    }
  }
  return origins;
};

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
// API Gateway's API mapping key: path segments of these characters, no leading or trailing slash.
const BASE_PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;

const customDomainFromContext = (app: App): CustomDomainOptions | undefined => {
  const domainName = optionalString(app, 'domainName');
  const certificateArn = optionalString(app, 'certificateArn');
  const basePath = optionalString(app, 'basePath');
  if (domainName === undefined && certificateArn === undefined) {
    if (basePath !== undefined) throw new Error('context basePath needs domainName and certificateArn');
    return undefined;
  }
  if (domainName === undefined || certificateArn === undefined) {
    throw new Error('context domainName and certificateArn go together: the domain needs its ACM certificate');
  }
  if (!HOSTNAME.test(domainName))
    throw new Error(`context domainName must be a host name, got ${JSON.stringify(domainName)}`);
  if (!CERTIFICATE_ARN.test(certificateArn)) {
    throw new Error(`context certificateArn must be an ACM certificate ARN, got ${JSON.stringify(certificateArn)}`);
  }
  if (basePath !== undefined && !BASE_PATH.test(basePath)) {
    throw new Error(
      `context basePath must be path segments without leading or trailing slash, got ${JSON.stringify(basePath)}`,
    );
  }
  return { domainName, certificateArn, basePath };
};

const concurrencyFromContext = (app: App): number | undefined => {
  const value: unknown = app.node.tryGetContext('consumeConcurrency');
  if (value === undefined || value === null || value === '') return undefined;
  // `-c key=value` always gives a string; cdk.json may give a number.
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new Error(`context consumeConcurrency must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return parsed;
};

const alertWebhookFromContext = (app: App): string | undefined => {
  const url = optionalString(app, 'alertWebhookUrl');
  if (url !== undefined && !(URL.canParse(url) && new URL(url).protocol === 'https:'))
    throw new Error(`context alertWebhookUrl must be an https URL, got ${JSON.stringify(url)}`);
  return url;
};

const alertThresholdsFromContext = (app: App): readonly number[] | undefined => {
  const value: unknown = app.node.tryGetContext('alertThresholds');
  if (value === undefined || value === null || value === '') return undefined;
  // `-c alertThresholds=50,90` gives a string; cdk.json may give a list of numbers.
  try {
    return Array.isArray(value) ? checkThresholds(value.map(Number)) : thresholdsFromText(String(value));
  } catch (error) {
    throw new Error(`context alertThresholds: ${(error as Error).message}`);
  }
};

const retentionFromContext = (app: App): number | undefined => {
  const value: unknown = app.node.tryGetContext('historyRetentionDays');
  if (value === undefined || value === null || value === '') return undefined;
  try {
    return checkRetentionDays(Number(value));
  } catch (error) {
    throw new Error(`context historyRetentionDays: ${(error as Error).message}`);
  }
};

const diagnosticsFromContext = (app: App): boolean | undefined => {
  const value: unknown = app.node.tryGetContext('consumeDiagnostics');
  if (value === undefined || value === null || value === '') return undefined;
  // `-c key=value` always gives a string; cdk.json may give a boolean.
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context consumeDiagnostics must be true or false, got ${JSON.stringify(value)}`);
};

/**
 * Reads the stage and options from the app's context (`-c stage=NAME`, `-c jwksUrl=...`,
 * `-c issuer=...`, `-c audience=...`, `-c consumeConcurrency=N`, `-c consumeDiagnostics=true`, `-c alarmEmail=...`,
 * `-c corsOrigins=a,b`, `-c domainName=... -c certificateArn=... [-c basePath=...]`,
 * `-c alertWebhookUrl=https://...`, `-c alertThresholds=80,100`, `-c historyRetentionDays=90`) and the
 * account and region from the CLI's `CDK_DEFAULT_ACCOUNT` and `CDK_DEFAULT_REGION`, when set. Throws on invalid values.
 */
export const readAppContext = (
  app: App,
  environment: NodeJS.ProcessEnv = process.env,
): { readonly stage: string; readonly options: AppOptions } => {
  const stage = parseStage(app.node.tryGetContext('stage'));
  const { CDK_DEFAULT_ACCOUNT: account, CDK_DEFAULT_REGION: region } = environment;
  return {
    stage,
    options: {
      auth: authFromContext(app),
      consumeConcurrency: concurrencyFromContext(app),
      consumeDiagnostics: diagnosticsFromContext(app),
      alarmEmail: alarmEmailFromContext(app),
      corsOrigins: corsOriginsFromContext(app),
      customDomain: customDomainFromContext(app),
      alertWebhookUrl: alertWebhookFromContext(app),
      alertThresholds: alertThresholdsFromContext(app),
      historyRetentionDays: retentionFromContext(app),
      env: account || region ? { account, region } : undefined,
    },
  };
};
