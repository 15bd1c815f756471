import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  LoggingFormat,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '#app/config.ts';
import type { BundledVerifier } from '#auth/token-verifier.ts';
import type { FunctionName } from '#routing/route-types.ts';
import type { TableAccess } from './table-access.ts';

/** The Lambda runtime of every function; the bundle targets the same Node.js version. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** The esbuild target matching {@link FUNCTION_RUNTIME}. */
export const BUNDLE_TARGET = 'node24';

/**
 * How long function and access logs are kept: a month-end investigation still finds them, and
 * storage is the small part of their cost (docs/design.md, "Cost per million checks").
 */
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * Lets CommonJS dependencies that call `require` (of Node built-ins) run inside the ESM bundle,
 * where `require` does not exist.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** How a function verifies tokens in AWS (see `AuthConfig` in lib/config.ts). */
export type FunctionAuth =
  | { readonly kind: 'secret'; readonly secret: ISecret }
  | { readonly kind: 'jwks'; readonly jwksUrl: string; readonly issuer: string; readonly audience: string };

/** The settings of one {@link QuotaFunction}. */
export interface QuotaFunctionProps {
  /** Which entry point of `functions/` to deploy. */
  readonly name: FunctionName;
  /** Shown in the function's description, to tell the stages' functions apart in the console. */
  readonly stage: string;
  readonly auth: FunctionAuth;
  /** The secret that seals access keys' secret keys: every function verifies signed requests. */
  readonly accessKeySealing: ISecret;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** @default - no concurrency reserved: the function draws on the account's unreserved pool */
  readonly reservedConcurrency?: number;
  /** What happens to the function's log group when the function goes. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Whether Lambda traces invocations with X-Ray (at its fixed sampling: the first call each second
   * and 5% of the rest) and writes its START, END and REPORT lines for each one. Off, Lambda writes
   * only its warnings and traces nothing. @default true
   */
  readonly diagnostics?: boolean;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOCK_FILE = fileURLToPath(new URL('../../package-lock.json', import.meta.url));

const entryOf = (name: FunctionName): string => fileURLToPath(new URL(`../../functions/${name}.ts`, import.meta.url));

/**
 * The esbuild `define` that builds a function with only the token verifier its stage uses
 * (see `keySourceOf` in lib/auth/token-verifier.ts); the bench builds its bundles with the
 * default stage's.
 */
export const bundledVerifierDefine = (verifier: BundledVerifier): Record<string, string> => ({
  'process.env.CQ_BUNDLED_VERIFIER': JSON.stringify(verifier),
});

const authEnvironment = (auth: FunctionAuth): Record<string, string> =>
  auth.kind === 'secret'
    ? { AUTH_SECRET_ARN: auth.secret.secretArn }
    : { AUTH_JWKS_URL: auth.jwksUrl, AUTH_ISSUER: auth.issuer, AUTH_AUDIENCE: auth.audience };

/**
 * One of the service's Lambda functions: a `functions/<name>.ts` entry point bundled by esbuild
 * as minified ESM for Node.js 24 on arm64, with its own log group (JSON log format), X-Ray active
 * tracing unless `diagnostics` is off, and only the permissions it is given. Bind it to the table with {@link QuotaFunction.bindTable};
 * synthesis fails if it is not.
 */
export class QuotaFunction extends Construct {
  /** The Lambda function. */
  public readonly function: NodejsFunction;
  /** The function's log group, created here so that no log-retention helper function is needed. */
  public readonly logGroup: LogGroup;
  /** The function's execution role. */
  public readonly role: Role;
  private boundTable: ITableV2 | undefined;

  /** Creates the function, its log group and role, and its token-verification wiring. */
  constructor(scope: Construct, id: string, props: QuotaFunctionProps) {
    super(scope, id);
    const description = `${SERVICE_NAME} ${props.name} (${props.stage})`;
    const diagnostics = props.diagnostics ?? true;
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: LOG_RETENTION,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    // Our own role instead of Lambda's default one, whose managed AWSLambdaBasicExecutionRole
    // would let the function create log groups and write to every log group of the account: this
    // one may only write streams of its own log group (the group's ARN ends in `:*`).
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${description}: execution role`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (diagnostics) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only xray:PutTraceSegments and xray:PutTelemetryRecords, added by active tracing, are on "*": X-Ray ' +
          'supports no resource-level permissions for them. Every other statement of the role names its resource ' +
          '(the infra tests check that).',
      });
    }
    this.function = new NodejsFunction(this, 'Function', {
      entry: entryOf(props.name),
      handler: 'handler',
      description,
      runtime: FUNCTION_RUNTIME,
      // Graviton: cheaper per millisecond, and nothing in the bundle is architecture-specific.
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      // The Lambda service traces each invocation (initialization, invocation, overhead) with no
      // tracing code in the bundle; the function's own calls to AWS are not broken down.
      tracing: diagnostics ? Tracing.ACTIVE : Tracing.DISABLED,
      // JSON, so Lambda's own lines can be filtered by level: at WARN it drops the START, END and
      // REPORT lines of every invocation (most of a busy function's log bytes) and keeps only its
      // warnings; an uncaught error is the runtime's own ERROR line, kept, and timeouts still count
      // in the Errors metric the alarms watch. The service's lines are JSON already; EMF lines,
      // which have no level, count as INFO and pass Lambda's default application level.
      loggingFormat: LoggingFormat.JSON,
      systemLogLevelV2: diagnostics ? SystemLogLevel.INFO : SystemLogLevel.WARN,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup: this.logGroup,
      // Every function reads a secret (the access-key sealing key, maybe the HS256 secret): through
      // this AWS extension beside it, so no bundle carries a Secrets Manager client (see
      // lib/auth/secret-value.ts). It calls Secrets Manager with the function's role.
      paramsAndSecrets: ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
        logLevel: ParamsAndSecretsLogLevel.WARN,
      }),
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...authEnvironment(props.auth),
        ACCESS_KEY_SECRET_ARN: props.accessKeySealing.secretArn,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        // Prefer the ESM builds of dependencies, so esbuild can tree-shake them.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        // File and line numbers are enough for stack traces; embedding the sources would double the bundle.
        sourcesContent: false,
        banner: ESM_REQUIRE_BANNER,
        define: bundledVerifierDefine(props.auth.kind === 'secret' ? 'hs256' : 'jwks'),
        // Deploy the SDK version pinned by package-lock.json, the one the tests ran, not whatever
        // version the Lambda runtime happens to ship.
        bundleAwsSDK: true,
      },
    });
    if (props.auth.kind === 'secret') this.grantSecretRead(props.auth.secret);
    this.grantSecretRead(props.accessKeySealing);
    this.node.addValidation({
      validate: () => (this.boundTable ? [] : [`${this.node.path}: bindTable() was never called`]),
    });
  }

  /**
   * Points the function at the table (`TABLE_NAME`) and grants it exactly `access`: its actions on
   * the table, and Query on the indexes it queries. A function serves one table, so a second call
   * throws.
   */
  public bindTable(table: ITableV2, access: TableAccess): void {
    if (this.boundTable) throw new Error(`${this.node.path} is already bound to a table`);
    this.boundTable = table;
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    if (access.onTable.length > 0) {
      this.function.addToRolePolicy(new PolicyStatement({ actions: [...access.onTable], resources: [table.tableArn] }));
    }
    if (access.queryIndexes.length > 0) {
      this.function.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: access.queryIndexes.map((index) => `${table.tableArn}/index/${index}`),
        }),
      );
    }
  }

  private grantSecretRead(secret: ISecret): void {
    // Only GetSecretValue: `secret.grantRead` would add DescribeSecret, which the verifier never calls.
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    secret.encryptionKey?.grantDecrypt(this.function);
  }
}
