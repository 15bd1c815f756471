import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SERVICE_NAME } from '../config.ts';
import { FALLBACK_FUNCTION, FUNCTION_NAMES, type FunctionName, type Method, ROUTES } from '../routes.ts';
import { type FunctionAuth, LOG_RETENTION, QuotaFunction, type TableAccess } from './quota-function.ts';
import { isProductionStage } from './stage.ts';

/** How the deployed functions verify tokens: a generated HS256 secret, or an OIDC issuer's JWKS. */
export type AuthOptions =
  | { readonly kind: 'generated-secret' }
  | { readonly kind: 'jwks'; readonly jwksUrl: string; readonly issuer: string; readonly audience: string };

/** The size and table access of one function. */
export interface FunctionSettings {
  readonly tableAccess: TableAccess;
  readonly memorySize: number;
  readonly timeout: Duration;
}

/**
 * Each function's settings, table access included. Every function writes: registry creates
 * instances and apps, app-quotas creates quotas and bindings, quota-consumptions updates counters.
 * The data plane gets more memory (hence more CPU, lower latency) and a short timeout, because the
 * gateway waits on it for every call it forwards.
 */
export const FUNCTION_SETTINGS: Readonly<Record<FunctionName, FunctionSettings>> = {
  registry: { tableAccess: 'RW', memorySize: 256, timeout: Duration.seconds(10) },
  'app-quotas': { tableAccess: 'RW', memorySize: 256, timeout: Duration.seconds(10) },
  'quota-consumptions': { tableAccess: 'RW', memorySize: 512, timeout: Duration.seconds(3) },
};

/**
 * Default route throttling of the API stage: a ceiling well under the account's regional limit
 * (10,000 rps), so one runaway client of one stage cannot starve every other API of the account.
 */
export const API_THROTTLE = { rateLimit: 1000, burstLimit: 2000 } as const;

/** The HTTP API's access log line: one JSON object per request. */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
} as const;

const HTTP_METHODS: Readonly<Record<Method, HttpMethod>> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  DELETE: HttpMethod.DELETE,
};

/** What the stateless stack is built from. */
export interface StatelessStackProps extends StackProps {
  readonly stage: string;
  /** The stateful stack's table. */
  readonly table: ITableV2;
  /** @default a generated HS256 secret in Secrets Manager */
  readonly auth?: AuthOptions;
  /**
   * Concurrency reserved for the quota-consumptions function.
   * @default - none: reserving takes from the account's pool, and new accounts' concurrency quota is
   * often too low (as low as 10) to reserve anything without failing the deployment.
   */
  readonly consumeConcurrency?: number;
}

/**
 * The stack without data: the token-signing secret, the three functions and the HTTP API that
 * routes the route table's rows to them. It can be destroyed and redeployed at will.
 */
export class StatelessStack extends Stack {
  /** The three functions, by name. */
  public readonly functions: Readonly<Record<FunctionName, QuotaFunction>>;
  /** The HTTP API. */
  public readonly api: HttpApi;
  /** The API's `$default` stage, which serves the API at the root of its URL. */
  public readonly apiStage: HttpStage;
  /** The generated HS256 secret, when tokens are not verified against a JWKS. */
  public readonly authSecret: Secret | undefined;

  /** Creates the functions and the API of one stage, bound to that stage's table. */
  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    // Logs are worth keeping for an incident investigation after a production stack is replaced.
    const logRemovalPolicy = isProductionStage(props.stage) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const authOptions: AuthOptions = props.auth ?? { kind: 'generated-secret' };
    let auth: FunctionAuth;
    if (authOptions.kind === 'jwks') {
      this.authSecret = undefined;
      auth = authOptions;
    } else {
      this.authSecret = new Secret(this, 'TokenSigningSecret', {
        description: `${SERVICE_NAME} (${props.stage}): HS256 key that signs and verifies X-Auth-Token JWTs`,
        // 64 alphanumerics, about 380 bits: more than HS256's 256, and safe to paste into any tool.
        generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      });
      auth = { kind: 'secret', secret: this.authSecret };
    }

    const functions = {} as Record<FunctionName, QuotaFunction>;
    for (const name of FUNCTION_NAMES) {
      const settings = FUNCTION_SETTINGS[name];
      const fn = new QuotaFunction(this, name, {
        name,
        stage: props.stage,
        auth,
        memorySize: settings.memorySize,
        timeout: settings.timeout,
        reservedConcurrency: name === 'quota-consumptions' ? props.consumeConcurrency : undefined,
        logRemovalPolicy,
      });
      fn.bindTable(props.table, settings.tableAccess);
      functions[name] = fn;
    }
    this.functions = functions;

    // One integration per function, shared by its routes.
    const integrations = Object.fromEntries(
      FUNCTION_NAMES.map((name) => [
        name,
        new HttpLambdaIntegration(`${name}-integration`, functions[name].function, {
          payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
        }),
      ]),
    ) as Record<FunctionName, HttpLambdaIntegration>;

    this.api = new HttpApi(this, 'Api', {
      apiName: `${SERVICE_NAME}-${props.stage}`,
      description: `${SERVICE_NAME} (${props.stage})`,
      // The stage is created below, with throttling and access logs the default stage cannot have.
      createDefaultStage: false,
      // Requests no route matches still reach the service, which answers with its own 404 or 405
      // error envelope instead of API Gateway's bare `{"message":"Not Found"}`.
      defaultIntegration: integrations[FALLBACK_FUNCTION],
    });
    for (const route of ROUTES) {
      this.api.addRoutes({
        path: route.path,
        methods: [HTTP_METHODS[route.method]],
        integration: integrations[route.fn],
      });
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: LOG_RETENTION, removalPolicy: logRemovalPolicy });
    this.apiStage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the API', value: this.apiStage.url });
    if (this.authSecret) {
      new CfnOutput(this, 'AuthSecretArn', {
        description: 'Secrets Manager secret whose value signs tokens (HS256)',
        value: this.authSecret.secretArn,
      });
    }
  }
}
