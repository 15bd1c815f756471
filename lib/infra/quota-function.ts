import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '../config.ts';
import type { FunctionName } from '../routes.ts';
import { TABLE_DEFINITION } from '../store/table-definition.ts';

/** The Lambda runtime of every function; the bundle targets the same Node.js version. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** The esbuild target matching {@link FUNCTION_RUNTIME}. */
export const BUNDLE_TARGET = 'node24';

/** How long function logs are kept. */
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * Lets CommonJS dependencies that call `require` (of Node built-ins) run inside the ESM bundle,
 * where `require` does not exist.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** A function's access to the table: read only, or read and write. */
export type TableAccess = 'RO' | 'RW';

const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
] as const;

/**
 * The DynamoDB actions of each access mode. Transactions need no action of their own: DynamoDB
 * authorises each item of a `TransactWriteItems` or `TransactGetItems` by that item's action. Scan,
 * BatchWriteItem, PartiQL and every control-plane action are left out on purpose.
 */
export const TABLE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  RO: READ_ACTIONS,
  RW: [...READ_ACTIONS, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
};

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
  readonly memorySize: number;
  readonly timeout: Duration;
  /** @default - no concurrency reserved: the function draws on the account's unreserved pool */
  readonly reservedConcurrency?: number;
  /** What happens to the function's log group when the function goes. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOCK_FILE = fileURLToPath(new URL('../../package-lock.json', import.meta.url));

const entryOf = (name: FunctionName): string => fileURLToPath(new URL(`../../functions/${name}.ts`, import.meta.url));

const authEnvironment = (auth: FunctionAuth): Record<string, string> =>
  auth.kind === 'secret'
    ? { AUTH_SECRET_ARN: auth.secret.secretArn }
    : { AUTH_JWKS_URL: auth.jwksUrl, AUTH_ISSUER: auth.issuer, AUTH_AUDIENCE: auth.audience };

/**
 * One of the service's Lambda functions: a `functions/<name>.ts` entry point bundled by esbuild
 * as minified ESM for Node.js 24 on arm64, with its own log group and only the permissions it is
 * given. Bind it to the table with {@link QuotaFunction.bindTable}; synthesis fails if it is not.
 */
export class QuotaFunction extends Construct {
  /** The Lambda function. */
  public readonly function: NodejsFunction;
  /** The function's log group, created here so that no log-retention helper function is needed. */
  public readonly logGroup: LogGroup;
  private boundTable: ITableV2 | undefined;

  /** Creates the function, its log group and its token-verification wiring. */
  constructor(scope: Construct, id: string, props: QuotaFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: LOG_RETENTION,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: entryOf(props.name),
      handler: 'handler',
      description: `${SERVICE_NAME} ${props.name} (${props.stage})`,
      runtime: FUNCTION_RUNTIME,
      // Graviton: cheaper per millisecond, and nothing in the bundle is architecture-specific.
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup: this.logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...authEnvironment(props.auth),
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
        // Deploy the SDK version pinned by package-lock.json, the one the tests ran, not whatever
        // version the Lambda runtime happens to ship.
        bundleAwsSDK: true,
      },
    });
    if (props.auth.kind === 'secret') this.grantSecretRead(props.auth.secret);
    this.node.addValidation({
      validate: () => (this.boundTable ? [] : [`${this.node.path}: bindTable() was never called`]),
    });
  }

  /**
   * Points the function at the table (`TABLE_NAME`) and grants it exactly the actions of `access`:
   * item actions on the table, and Query on the table and its indexes. A function serves one
   * table, so a second call throws.
   */
  public bindTable(table: ITableV2, access: TableAccess): void {
    if (this.boundTable) throw new Error(`${this.node.path} is already bound to a table`);
    this.boundTable = table;
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: [...TABLE_ACTIONS[access]], resources: [table.tableArn] }),
    );
    // Indexes are only ever queried (strongly consistent lists); every other action is on the table.
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: TABLE_DEFINITION.localIndexes.map((index) => `${table.tableArn}/index/${index.indexName}`),
      }),
    );
  }

  private grantSecretRead(secret: ISecret): void {
    // Only GetSecretValue: `secret.grantRead` would add DescribeSecret, which the verifier never calls.
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    secret.encryptionKey?.grantDecrypt(this.function);
  }
}
