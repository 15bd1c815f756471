import type { App, Environment } from 'aws-cdk-lib';
import { SERVICE_NAME } from '../config.ts';
import { isProductionStage, parseStage, stackNames } from './stage.ts';
import { StatefulStack } from './stateful-stack.ts';
import { type AuthOptions, StatelessStack } from './stateless-stack.ts';

/** Everything about a deployment besides its stage. */
export interface AppOptions {
  /** @default a generated HS256 secret in Secrets Manager */
  readonly auth?: AuthOptions;
  /** @default - no concurrency reserved for quota-consumptions */
  readonly consumeConcurrency?: number;
  /** @default - alarms notify the stage's SNS topic, which nobody is subscribed to */
  readonly alarmEmail?: string;
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
    auth: options.auth,
    consumeConcurrency: options.consumeConcurrency,
    alarmEmail: options.alarmEmail,
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

/**
 * Reads the stage and options from the app's context (`-c stage=NAME`, `-c jwksUrl=...`,
 * `-c issuer=...`, `-c audience=...`, `-c consumeConcurrency=N`, `-c alarmEmail=...`) and the account and region from
 * the CLI's `CDK_DEFAULT_ACCOUNT` and `CDK_DEFAULT_REGION`, when set. Throws on invalid values.
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
      alarmEmail: alarmEmailFromContext(app),
      env: account || region ? { account, region } : undefined,
    },
  };
};
