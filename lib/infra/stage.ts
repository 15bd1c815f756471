/**
 * Deployment stages. A stage names one environment (its two stacks, its API, its table), so it must
 * be safe inside CloudFormation stack names and AWS resource names.
 */

/** The stage used when `-c stage=NAME` is not given. */
export const DEFAULT_STAGE = 'dev';

/** The one stage whose data must survive a `cdk destroy` or a mistaken replacement. */
export const PRODUCTION_STAGE = 'prod';

/** Lower-case letter first, then up to 20 lower-case letters, digits or hyphens. */
export const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,20}$/;

/** Returns the stage name, or throws when it is not a valid stage name. */
export const parseStage = (value: unknown): string => {
  const stage = value ?? DEFAULT_STAGE;
  if (typeof stage !== 'string' || !STAGE_PATTERN.test(stage)) {
    throw new Error(`invalid stage ${JSON.stringify(stage)}: expected ${STAGE_PATTERN.source}`);
  }
  return stage;
};

/** Whether a stage holds data that must be retained and protected from deletion. */
export const isProductionStage = (stage: string): boolean => stage === PRODUCTION_STAGE;

/** The stack names of a stage: `CredentialQuota-<stage>-Stateful` and `CredentialQuota-<stage>-Stateless`. */
export const stackNames = (stage: string): { readonly stateful: string; readonly stateless: string } => ({
  stateful: `CredentialQuota-${stage}-Stateful`,
  stateless: `CredentialQuota-${stage}-Stateless`,
});

/**
 * The CloudFormation export names a stage's stacks give, for other stacks to import
 * (`Fn.importValue`) and hand to `grantQuotaGuard`: fixed by the stage alone, so they never change
 * under an importer. The table's name and ARN are exported by the stateful stack, where the table
 * lives (an export in use cannot change, and that stack is the one kept); the API URL by the
 * stateless stack.
 */
export const exportNames = (
  stage: string,
): { readonly apiUrl: string; readonly tableName: string; readonly tableArn: string } => ({
  apiUrl: `credential-quota-${stage}-ApiUrl`,
  tableName: `credential-quota-${stage}-TableName`,
  tableArn: `credential-quota-${stage}-TableArn`,
});

/**
 * The stateless stack's outputs, by what they hold. The stack writes them and the operator
 * scripts (`npm run token -- --stage`, `npm run openapi -- --stage`) read them.
 */
export const STAGE_OUTPUTS = {
  /** Base URL of the API (the custom domain's, when there is one). */
  apiUrl: 'ApiUrl',
  /** HS256 only: the Secrets Manager secret whose value signs tokens. */
  authSecretArn: 'AuthSecretArn',
  /** The table, and the secret that seals its access keys' secret keys (for `npm run access-key`). */
  tableName: 'TableName',
  /** Stateful stack only: the table's ARN (its name is output there too), exported. */
  tableArn: 'TableArn',
  accessKeySecretArn: 'AccessKeySecretArn',
  /** OIDC only: who issues the tokens the stage accepts, for which audience, and its keys. */
  tokenIssuer: 'TokenIssuer',
  tokenAudience: 'TokenAudience',
  jwksUrl: 'JwksUrl',
  /** The SNS topic the alarms notify. */
  alarmTopicArn: 'AlarmTopicArn',
  /** The CloudWatch dashboard of the stage. */
  dashboardName: 'DashboardName',
  /** The EventBridge bus of the threshold events. */
  alertBusName: 'AlertBusName',
  /** With -c alertWebhookUrl: the secret whose value the webhook receives in X-Alert-Token. */
  alertWebhookTokenArn: 'AlertWebhookTokenArn',
  /** With a custom domain: the regional domain name its DNS record must point at. */
  domainTarget: 'DomainTarget',
} as const;
