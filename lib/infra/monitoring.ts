import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '#app/config.ts';
import { METRIC, METRICS_NAMESPACE, METRICS_TOP_CREDENTIALS, TALLY_OTHERS } from '#observability/metrics.ts';
import { FUNCTION_NAMES, type FunctionName } from '#routing/route-types.ts';
import { ContributorInsights, ContributorsWidget } from './contributor-insights.ts';
import type { QuotaFunction } from './quota-function.ts';

/** The period of the dashboard's graphs: fine enough to see a burst, coarse enough to be cheap. */
export const DASHBOARD_PERIOD = Duration.minutes(1);

/** What the stage's monitoring watches and who it tells. */
export interface MonitoringProps {
  readonly stage: string;
  readonly functions: Readonly<Record<FunctionName, QuotaFunction>>;
  readonly apiMetrics: { readonly clientErrors: Metric; readonly serverErrors: Metric };
  readonly table: ITableV2;
  readonly alarms: readonly Alarm[];
  /** @default - no subscription: subscribe to the topic yourself */
  readonly alarmEmail?: string;
}

const period = { period: DASHBOARD_PERIOD };

/** One of the service's own (EMF) metrics; `dimensions` beyond `service`. */
const serviceMetric = (
  metricName: string,
  statistic: string,
  dimensions: Record<string, string> = {},
  label?: string,
) =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, ...dimensions },
    statistic,
    label,
    ...period,
  });

/** A per-second rate of a count metric, whatever the graph's period; `id` is unique in its graph. */
const perSecond = (id: string, metric: Metric, label: string) =>
  new MathExpression({ expression: `${id} / PERIOD(${id})`, usingMetrics: { [id]: metric }, label, ...period });

/**
 * The stage's operations: an SNS topic every alarm notifies (raised and back to OK), with an
 * optional e-mail subscription, the Contributor Insights rules of the data plane's callers, and a
 * CloudWatch dashboard of the data plane, its top instances and credentials, the functions, the
 * API, the table and the alarms.
 */
export class Monitoring extends Construct {
  /** The topic the alarms publish to (and the threshold events' rule). */
  public readonly topic: Topic;
  /** The key the topic is encrypted with: whoever publishes needs its use. */
  public readonly topicKey: Key;
  /** The stage's dashboard. */
  public readonly dashboard: Dashboard;
  /** The top instances and credentials by admitted and refused calls. */
  public readonly contributors: ContributorInsights;

  /** Creates the topic, wires every alarm to it, and builds the dashboard. */
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { account, region, partition } = Stack.of(this);

    // CloudWatch can only publish to an encrypted topic through a customer managed key whose
    // policy lets it: the AWS managed SNS key does not.
    const key = new Key(this, 'TopicKey', {
      description: `${SERVICE_NAME} (${props.stage}): encrypts alarm notifications`,
      enableKeyRotation: true,
      // It encrypts nothing but notifications in flight: when the stack goes, so can the key
      // (after the shortest waiting period), instead of being billed forever.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topicKey = key;
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    const fromOurAlarms = {
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
    };
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOurAlarms,
      }),
    );
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `${SERVICE_NAME} (${props.stage}) alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOurAlarms,
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);
    for (const alarm of props.alarms) {
      alarm.addAlarmAction(action);
      // Being told it is over matters as much as being told it started.
      alarm.addOkAction(action);
    }

    this.contributors = new ContributorInsights(this, 'Contributors', {
      stage: props.stage,
      logGroup: props.functions['quota-consumptions'].logGroup,
    });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${SERVICE_NAME}-${props.stage}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(...this.widgets(props));
  }

  private widgets(props: MonitoringProps) {
    const { functions, table } = props;
    const each = <T>(make: (name: FunctionName, fn: QuotaFunction) => T): T[] =>
      FUNCTION_NAMES.map((name) => make(name, functions[name]));
    const full = { width: 24, height: 6 };
    const half = { width: 12, height: 6 };
    return [
      new TextWidget({
        markdown:
          `# ${SERVICE_NAME} (${props.stage})\n` +
          `Service metrics are namespace \`${METRICS_NAMESPACE}\` (EMF, dimensions \`service\`, \`function\`); ` +
          'the top instances and credentials are Contributor Insights rules on the `quota-consumptions` log ' +
          `(each container names its ${METRICS_TOP_CREDENTIALS} busiest credentials a write, the rest as \`${TALLY_OTHERS}\`); ` +
          'alarms notify the stack output `AlarmTopicArn`.',
        width: 24,
        height: 2,
      }),
      new GraphWidget({
        title: 'Consumes per second: admitted and refused',
        left: [
          perSecond('admitted', serviceMetric(METRIC.consumeAdmitted, Stats.SUM), 'admitted/s'),
          perSecond('refused', serviceMetric(METRIC.consumeRefused, Stats.SUM), 'refused/s'),
        ],
        ...half,
      }),
      new GraphWidget({
        title: 'Cost units per minute: admitted and refused',
        left: [
          serviceMetric(METRIC.admittedUnits, Stats.SUM, {}, 'admitted units'),
          serviceMetric(METRIC.refusedUnits, Stats.SUM, {}, 'refused units'),
        ],
        ...half,
      }),
      ...[...this.contributors.rules].map(
        ([name, rule]) =>
          new ContributorsWidget({
            title: `Top ${name.replace('-', ' by ')} calls`,
            rule,
            period: DASHBOARD_PERIOD,
            ...half,
          }),
      ),
      new GraphWidget({
        title: 'Latency p50 / p99 of each function (ms)',
        left: each((name, fn) => [
          fn.function.metricDuration({ statistic: Stats.p(50), label: `${name} p50`, ...period }),
          fn.function.metricDuration({ statistic: Stats.p(99), label: `${name} p99`, ...period }),
        ]).flat(),
        right: [
          serviceMetric(METRIC.consumeLatency, Stats.p(50), {}, 'consume handler p50'),
          serviceMetric(METRIC.consumeLatency, Stats.p(99), {}, 'consume handler p99'),
        ],
        ...full,
      }),
      new GraphWidget({
        title: '4xx / 5xx by route family (function)',
        left: each((name) => [
          serviceMetric(METRIC.clientErrors, Stats.SUM, { function: name }, `${name} 4xx`),
          serviceMetric(METRIC.serverErrors, Stats.SUM, { function: name }, `${name} 5xx`),
        ]).flat(),
        right: [
          props.apiMetrics.clientErrors.with({ label: 'API 4xx (all)', ...period }),
          props.apiMetrics.serverErrors.with({ label: 'API 5xx (all)', ...period }),
        ],
        ...half,
      }),
      new GraphWidget({
        title: 'Lambda throttles and concurrency',
        left: each((name, fn) =>
          fn.function.metricThrottles({ statistic: Stats.SUM, label: `${name} throttles`, ...period }),
        ),
        right: each((name, fn) =>
          fn.function.metric('ConcurrentExecutions', {
            statistic: Stats.MAXIMUM,
            label: `${name} concurrency`,
            ...period,
          }),
        ),
        ...half,
      }),
      new GraphWidget({
        title: 'DynamoDB consumed capacity',
        left: [
          table.metricConsumedReadCapacityUnits({ statistic: Stats.SUM, label: 'read units', ...period }),
          table.metricConsumedWriteCapacityUnits({ statistic: Stats.SUM, label: 'write units', ...period }),
        ],
        ...half,
      }),
      new GraphWidget({
        title: 'DynamoDB throttles, and 503s after the SDK retries',
        left: ['ReadThrottleEvents', 'WriteThrottleEvents'].map((metricName) =>
          table.metric(metricName, { statistic: Stats.SUM, label: metricName, ...period }),
        ),
        // The error metrics exist by function only (their one dimension set).
        right: each((name) => [
          serviceMetric(METRIC.dynamoDbThrottles, Stats.SUM, { function: name }, `${name} throttled past retries`),
          serviceMetric(METRIC.serviceUnavailable, Stats.SUM, { function: name }, `${name} 503`),
        ]).flat(),
        ...half,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }),
    ];
  }
}
