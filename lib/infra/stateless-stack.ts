import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  CorsHttpMethod,
  DomainName,
  HttpApi,
  HttpMethod,
  type HttpRoute,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { LogGroup, LogGroupClass } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SERVICE_NAME } from '#app/config.ts';
import { DEFAULT_REFUSAL_RECHECK_MS } from '#domain/refusals.ts';
import { routeKey } from '#routing/route-table.ts';
import { FUNCTION_NAMES, FUNCTION_TIMEOUT_SECONDS, type FunctionName, type Method } from '#routing/route-types.ts';
import { FALLBACK_FUNCTION, OPENAPI_PATH, ROUTES } from '#routing/routes.ts';
import { QUOTA_SWEEP_PERIOD_SECONDS } from '#use-cases/finish-quota-deletes.ts';
import { Monitoring } from './monitoring.ts';
import { type FunctionAuth, LOG_RETENTION, QuotaFunction } from './quota-function.ts';
import { exportNames, isProductionStage, STAGE_OUTPUTS } from './stage.ts';
import { FUNCTION_TABLE_ACTIONS } from './table-access.ts';
import { UsageStream } from './usage-stream.ts';

/** How the deployed functions verify tokens: a generated HS256 secret, or an OIDC issuer's JWKS. */
export type AuthOptions =
  | { readonly kind: 'generated-secret' }
  | { readonly kind: 'jwks'; readonly jwksUrl: string; readonly issuer: string; readonly audience: string };

/** A custom domain for the API: its certificate (ACM, same region) and an optional API mapping key. */
export interface CustomDomainOptions {
  readonly domainName: string;
  readonly certificateArn: string;
  /** @default - the API at the domain's root */
  readonly basePath?: string | undefined;
}

/**
 * The request headers a browser may send: the token, the vendor SDKs' signing headers
 * (`Authorization`, `X-Sdk-Date`, `X-Project-Id`) and JSON bodies.
 */
export const CORS_ALLOW_HEADERS = [
  'X-Auth-Token',
  'Authorization',
  'X-Sdk-Date',
  'X-Project-Id',
  'Content-Type',
  'X-Client-Token',
];

/** The response headers a browser script may read: the request id, 405's Allow and the quota fields. */
export const CORS_EXPOSE_HEADERS = [
  'X-Request-Id',
  'Allow',
  'Retry-After',
  'RateLimit',
  'RateLimit-Policy',
  'X-Client-Token',
];

/** How long a browser may reuse a preflight answer. */
export const CORS_MAX_AGE = Duration.hours(1);

/** The size of one function (its table access is in `FUNCTION_TABLE_ACTIONS`). */
export interface FunctionSettings {
  readonly memorySize: number;
  readonly timeout: Duration;
}

/**
 * Each function's settings. The data plane gets more memory (hence more CPU, lower latency); the
 * timeouts are `FUNCTION_TIMEOUT_SECONDS`, which the local server shares.
 */
export const FUNCTION_SETTINGS: Readonly<Record<FunctionName, FunctionSettings>> = {
  registry: { memorySize: 256, timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS.registry) },
  'app-quotas': { memorySize: 256, timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS['app-quotas']) },
  'quota-consumptions': { memorySize: 512, timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS['quota-consumptions']) },
};

/**
 * Default route throttling of the API stage: a ceiling well under the account's regional limit
 * (10,000 rps), so one runaway client of one stage cannot starve every other API of the account.
 */
export const API_THROTTLE = { rateLimit: 1000, burstLimit: 2000 } as const;

/**
 * The HTTP API's access log line: one JSON object per request, with the fields that earn their
 * bytes on a path that logs every check: who (`ip`), when (epoch ms), what (`method`, `path`:
 * project and instance), the answer and its time, API Gateway's request id and why a function
 * failed. Left out: `routeKey` (method and path give it), protocol, response length and the
 * integration latency (Lambda's Duration metric has it), about 150 bytes a request.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  time: '$context.requestTimeEpoch',
  method: '$context.httpMethod',
  path: '$context.path',
  status: '$context.status',
  latency: '$context.responseLatency',
  error: '$context.integrationErrorMessage',
} as const;

/**
 * The access logs' class: Infrequent Access, half Standard's ingestion price. Logs Insights
 * queries them; what it cannot do (Live Tail, metric and subscription filters) nothing of the stack
 * uses on access logs. The function logs stay Standard: CloudWatch reads the EMF metrics there.
 */
export const ACCESS_LOG_CLASS = LogGroupClass.INFREQUENT_ACCESS;

/** The function whose schedule sweeps the quota deletes under way (it owns quotas; SPEC §8 allows no fourth). */
export const QUOTA_SWEEP_FUNCTION: FunctionName = 'app-quotas';

/** The function the table's stream of counter changes goes to (the same one, for the same reason). */
export const USAGE_STREAM_FUNCTION: FunctionName = 'app-quotas';

/**
 * The schedule of the sweep that finishes quota deletes and split quota updates their clients
 * left: every QUOTA_SWEEP_PERIOD_SECONDS. A run EventBridge
 * could not deliver is not retried: the next one comes a period later and does the same work.
 */
export const QUOTA_SWEEP_SCHEDULE = Schedule.rate(Duration.seconds(QUOTA_SWEEP_PERIOD_SECONDS));

/** The period every alarm evaluates; one breaching period raises it. */
export const ALARM_PERIOD = Duration.minutes(5);

/** Alarm thresholds: the alarm goes off when the period's sum reaches the threshold. */
export const ALARM_THRESHOLDS = {
  /**
   * 5xx answers of the API. No request gets a 5xx by design: a 500 APIG.9999 is a bug, and a 5xx
   * from API Gateway itself a crashed, timed-out or throttled function. Any one is worth a look.
   */
  api5xx: 1,
  /** Failed invocations of one function: handlers turn every error into a response, so only crashes and timeouts. */
  functionErrors: 1,
  /** Throttled invocations of one function: the account's (or the reserved) concurrency ran out. */
  functionThrottles: 1,
  /**
   * Throttle events of the table, reads and writes each. The SDK retries a throttled request (up
   * to 3 attempts), so a few are absorbed unseen; this many means a hot partition or a ceiling.
   */
  tableThrottleEvents: 10,
} as const;

/**
 * The table's throttling metrics, one alarm each. They are table-level (dimension TableName only;
 * the local indexes share the table's throughput), so no metric math is needed: summing the
 * per-operation `ThrottledRequests` series would be capped at 10 metrics per alarm and would
 * depend on how CloudWatch combines series that only have data when something was throttled.
 */
export const TABLE_THROTTLE_METRICS = ['ReadThrottleEvents', 'WriteThrottleEvents'] as const;

// Why the routes have no API Gateway authorizer (cdk-nag AwsSolutions-APIG4).
const SERVICE_AUTHORIZES =
  'The service authorizes every request itself: the function verifies the X-Auth-Token JWT (HS256 secret or ' +
  "the OIDC issuer's JWKS), then that the token is for the path's project and allows the route's action. An " +
  'API Gateway JWT authorizer could do neither the HS256 check nor the per-route action check.';
const HEALTH_IS_PUBLIC =
  'GET /health is the unauthenticated health check: it answers {"status":"UP"} and reads no data.';
const OPENAPI_IS_PUBLIC =
  'GET /openapi.json is the public description of the API (routes, parameters, schemas), generated from the code; ' +
  'it reads no data and holds nothing a caller of the API does not already see.';
const PUBLIC_ROUTES: Readonly<Record<string, string>> = {
  '/health': HEALTH_IS_PUBLIC,
  [OPENAPI_PATH]: OPENAPI_IS_PUBLIC,
};
const DEFAULT_ROUTE_REJECTS =
  '$default only receives requests no route matches; the registry function answers them with its own 404/405 ' +
  'envelope before any token check and without reading data.';

const CORS_METHODS: Readonly<Record<Method, CorsHttpMethod>> = {
  GET: CorsHttpMethod.GET,
  POST: CorsHttpMethod.POST,
  PUT: CorsHttpMethod.PUT,
  DELETE: CorsHttpMethod.DELETE,
};

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
  /** The stateful stack's key that seals access keys' secrets in the table. */
  readonly accessKeySealing: ISecret;
  /** @default a generated HS256 secret in Secrets Manager */
  readonly auth?: AuthOptions;
  /**
   * Concurrency reserved for the quota-consumptions function.
   * @default - none: reserving takes from the account's pool, and new accounts' concurrency quota is
   * often too low (as low as 10) to reserve anything without failing the deployment.
   */
  readonly consumeConcurrency?: number;
  /**
   * X-Ray active tracing and Lambda's per-invocation platform lines for quota-consumptions (the
   * control plane always has both: its few calls cost next to nothing).
   * @default false: no traces and no START, END, REPORT lines for the data plane
   */
  readonly consumeDiagnostics?: boolean;
  /** @default - the alarm topic has no subscription */
  readonly alarmEmail?: string;
  /** Origins allowed to call the API from a browser. @default - no CORS */
  readonly corsOrigins?: readonly string[];
  /** @default - served at the execute-api URL only */
  readonly customDomain?: CustomDomainOptions;
  /** Where threshold events are also posted (an EventBridge API destination). @default - the alarm topic only */
  readonly alertWebhookUrl?: string;
  /** Threshold percentages of the stage. @default DEFAULT_ALERT_THRESHOLDS (80, 100) */
  readonly alertThresholds?: readonly number[];
  /** How long closed windows stay in the usage history. @default DEFAULT_HISTORY_RETENTION_DAYS (90) */
  readonly historyRetentionDays?: number;
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
  /** The stage's alarms: API 5xx, each function's errors and throttles, table throttling, the stream's dead letters. */
  public readonly alarms: readonly Alarm[];
  /** The alarm topic and the dashboard. */
  public readonly monitoring: Monitoring;
  /** The custom domain, when one is configured. */
  public readonly domainName: DomainName | undefined;
  /** The schedule that sends the app-quotas function the sweep of quota deletes under way. */
  public readonly quotaSweep: Rule;
  /** The table's stream of counter changes into app-quotas, and the bus of threshold events. */
  public readonly usageStream: UsageStream;

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
      Validations.of(this.authSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The HS256 key is shared with whoever signs tokens, and each function container verifies with the one key ' +
          'it read at its first request: an automatic rotation would reject valid tokens until every signer and ' +
          'container had the new key. It is rotated by hand (new value, then a deploy); -c jwksUrl replaces it with ' +
          "an OIDC issuer's rotating keys.",
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
        accessKeySealing: props.accessKeySealing,
        memorySize: settings.memorySize,
        timeout: settings.timeout,
        reservedConcurrency: name === 'quota-consumptions' ? props.consumeConcurrency : undefined,
        logRemovalPolicy,
        diagnostics: name === 'quota-consumptions' ? (props.consumeDiagnostics ?? false) : true,
      });
      fn.bindTable(props.table, FUNCTION_TABLE_ACTIONS[name]);
      // D, written out so the deployed setting is visible in the console and changed in one place.
      if (name === 'quota-consumptions')
        fn.function.addEnvironment('REFUSAL_RECHECK_MS', String(DEFAULT_REFUSAL_RECHECK_MS));
      functions[name] = fn;
    }
    this.functions = functions;

    // A delete or a split update whose client stopped after its first step is finished by this
    // sweep, never left (the construct keeps its first name, so deployed rules are not replaced).
    // Its failures are the function's errors, so the function's error alarm covers it.
    this.quotaSweep = new Rule(this, 'QuotaDeleteSweep', {
      description: `${SERVICE_NAME} (${props.stage}): finishes quota deletes and updates their clients left half done`,
      schedule: QUOTA_SWEEP_SCHEDULE,
      targets: [
        new LambdaFunction(functions[QUOTA_SWEEP_FUNCTION].function, {
          retryAttempts: 0,
          maxEventAge: Duration.seconds(QUOTA_SWEEP_PERIOD_SECONDS),
        }),
      ],
    });

    // The usage history and the threshold events: the table's stream, into the function that owns quotas.
    this.usageStream = new UsageStream(this, 'UsageStream', {
      stage: props.stage,
      table: props.table,
      fn: functions[USAGE_STREAM_FUNCTION],
      alertThresholds: props.alertThresholds,
      historyRetentionDays: props.historyRetentionDays,
    });

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
      // API Gateway answers preflights itself and adds the CORS headers to every answer.
      ...(props.corsOrigins && props.corsOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: [...props.corsOrigins],
              allowMethods: [...new Set(ROUTES.map((route) => CORS_METHODS[route.method]))],
              allowHeaders: CORS_ALLOW_HEADERS,
              exposeHeaders: CORS_EXPOSE_HEADERS,
              maxAge: CORS_MAX_AGE,
            },
          }
        : {}),
    });
    const acknowledgeNoAuthorizer = (route: HttpRoute, reason: string) =>
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    for (const route of ROUTES) {
      const added = this.api.addRoutes({
        path: route.path,
        methods: [HTTP_METHODS[route.method]],
        integration: integrations[route.fn],
      });
      for (const httpRoute of added) {
        const reason = route.action ? SERVICE_AUTHORIZES : PUBLIC_ROUTES[route.path];
        if (reason === undefined) throw new Error(`${routeKey(route)} has no action and no reason to be public`);
        acknowledgeNoAuthorizer(httpRoute, reason);
      }
    }
    acknowledgeNoAuthorizer(this.api.node.findChild('DefaultRoute') as HttpRoute, DEFAULT_ROUTE_REJECTS);

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: LOG_RETENTION,
      removalPolicy: logRemovalPolicy,
      logGroupClass: ACCESS_LOG_CLASS,
    });
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

    this.alarms = [...this.createAlarms(props.stage, props.table), this.usageStream.deadLetterAlarm];
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      functions,
      apiMetrics: { clientErrors: this.api.metricClientError(), serverErrors: this.api.metricServerError() },
      table: props.table,
      alarms: this.alarms,
      alarmEmail: props.alarmEmail,
    });
    const webhookToken = this.usageStream.routeEvents(
      this.monitoring.topic,
      this.monitoring.topicKey,
      props.alertWebhookUrl,
    );

    // The API's endpoint, not the stage URL: that one ends in `/`, and `$ApiUrl/v2/...` would be `//v2`.
    let apiUrl = this.api.apiEndpoint;
    if (props.customDomain) {
      const { domainName, certificateArn, basePath } = props.customDomain;
      this.domainName = new DomainName(this, 'DomainName', {
        domainName,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', certificateArn),
      });
      new ApiMapping(this, 'ApiMapping', {
        api: this.api,
        domainName: this.domainName,
        stage: this.apiStage,
        apiMappingKey: basePath,
      });
      // API Gateway leaves the mapping key in rawPath: the functions take it off for their 404/405.
      if (basePath) for (const fn of Object.values(functions)) fn.function.addEnvironment('API_BASE_PATH', basePath);
      apiUrl = `https://${domainName}${basePath ? `/${basePath}` : ''}`;
      new CfnOutput(this, STAGE_OUTPUTS.domainTarget, {
        description: `Point ${domainName} here (CNAME, or an alias record to this regional domain name)`,
        value: this.domainName.regionalDomainName,
      });
    }
    new CfnOutput(this, STAGE_OUTPUTS.apiUrl, {
      description: 'Base URL of the API, without a trailing slash',
      value: apiUrl,
      exportName: exportNames(props.stage).apiUrl,
    });
    // What `npm run access-key -- --stage` needs: the table, and the key its secrets are sealed with.
    new CfnOutput(this, STAGE_OUTPUTS.tableName, { description: 'The DynamoDB table', value: props.table.tableName });
    new CfnOutput(this, STAGE_OUTPUTS.accessKeySecretArn, {
      description: 'Secrets Manager secret that seals the secret keys of access keys',
      value: props.accessKeySealing.secretArn,
    });
    if (this.authSecret) {
      new CfnOutput(this, STAGE_OUTPUTS.authSecretArn, {
        description: 'Secrets Manager secret whose value signs tokens (HS256)',
        value: this.authSecret.secretArn,
      });
    }
    new CfnOutput(this, STAGE_OUTPUTS.alarmTopicArn, {
      description: 'SNS topic every alarm notifies (subscribe to it, or deploy with -c alarmEmail=...)',
      value: this.monitoring.topic.topicArn,
    });
    new CfnOutput(this, STAGE_OUTPUTS.alertBusName, {
      description: 'EventBridge bus of the threshold events (add rules to it for more targets)',
      value: this.usageStream.bus.eventBusName,
    });
    if (webhookToken) {
      new CfnOutput(this, STAGE_OUTPUTS.alertWebhookTokenArn, {
        description: 'Secrets Manager secret whose value the alert webhook receives in X-Alert-Token',
        value: webhookToken.secretArn,
      });
    }
    new CfnOutput(this, STAGE_OUTPUTS.dashboardName, {
      description: 'CloudWatch dashboard of the stage',
      value: this.monitoring.dashboard.dashboardName,
    });
    if (authOptions.kind === 'jwks') {
      // What `npm run token -- --stage` tells an operator: these tokens come from the issuer.
      new CfnOutput(this, STAGE_OUTPUTS.tokenIssuer, {
        description: 'Issuer of accepted tokens',
        value: authOptions.issuer,
      });
      new CfnOutput(this, STAGE_OUTPUTS.tokenAudience, {
        description: 'Audience accepted tokens must name',
        value: authOptions.audience,
      });
      new CfnOutput(this, STAGE_OUTPUTS.jwksUrl, {
        description: "The issuer's signing keys",
        value: authOptions.jwksUrl,
      });
    }
  }

  private createAlarms(stage: string, table: ITableV2): Alarm[] {
    const alarm = (id: string, metric: IMetric, threshold: number, what: string) =>
      new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data is no traffic (and throttle metrics are only published when something was throttled).
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `${SERVICE_NAME} (${stage}): ${what}, ${threshold} or more in ${ALARM_PERIOD.toMinutes()} minutes`,
      });
    const period = { period: ALARM_PERIOD };
    return [
      alarm('Api5xxAlarm', this.api.metricServerError(period), ALARM_THRESHOLDS.api5xx, 'API 5xx responses'),
      ...FUNCTION_NAMES.flatMap((name) => {
        const { function: fn } = this.functions[name];
        return [
          alarm(`${name}-ErrorsAlarm`, fn.metricErrors(period), ALARM_THRESHOLDS.functionErrors, `${name} errors`),
          alarm(
            `${name}-ThrottlesAlarm`,
            fn.metricThrottles(period),
            ALARM_THRESHOLDS.functionThrottles,
            `${name} throttled invocations`,
          ),
        ];
      }),
      ...TABLE_THROTTLE_METRICS.map((metricName) =>
        alarm(
          `Table${metricName}Alarm`,
          table.metric(metricName, { ...period, statistic: Stats.SUM }),
          ALARM_THRESHOLDS.tableThrottleEvents,
          `table ${metricName}`,
        ),
      ),
    ];
  }
}
