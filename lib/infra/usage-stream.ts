import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { ApiDestination, Authorization, Connection, EventBus, HttpMethod, Rule } from 'aws-cdk-lib/aws-events';
import { ApiDestination as ApiDestinationTarget, SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { EventSourceMapping, FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '#app/config.ts';
import { THRESHOLD_EVENT_DETAIL_TYPE, THRESHOLD_EVENT_SOURCE } from '#domain/threshold-event.ts';
import { COUNTER_RECORDS_PATTERN } from '#store/table/stream-filter.ts';
import type { QuotaFunction } from './quota-function.ts';

/**
 * How the event source mapping reads the stream. Batches of up to 100 records, gathered for at
 * most a second: at a steady 1,000 consumes a second that is about 10 invocations a second, and a
 * credential's threshold event leaves within about two seconds of the call that reached it. A
 * batch that fails is halved (bisection) and retried up to 10 times, each record for at most a
 * day (the stream's own retention), then its metadata goes to the dead-letter queue.
 */
export const STREAM_MAPPING = {
  batchSize: 100,
  maxBatchingWindow: Duration.seconds(1),
  retryAttempts: 10,
  maxRecordAge: Duration.days(1),
} as const;

/** The DLQ alarm: any one message is a record the history or the events may miss. */
export const DEAD_LETTER_ALARM_THRESHOLD = 1;

/** The actions Lambda's event source mapping needs on the table's stream, with the function's role. */
export const STREAM_READ_ACTIONS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
] as const;

/** The header an alert webhook receives the stage's generated token in. */
export const ALERT_WEBHOOK_TOKEN_HEADER = 'X-Alert-Token';

/** What the stream processing is wired to. */
export interface UsageStreamProps {
  readonly stage: string;
  readonly table: ITableV2;
  /** The function that processes the stream (app-quotas). */
  readonly fn: QuotaFunction;
  /** @default DEFAULT_ALERT_THRESHOLDS */
  readonly alertThresholds?: readonly number[] | undefined;
  /** @default DEFAULT_HISTORY_RETENTION_DAYS */
  readonly historyRetentionDays?: number | undefined;
}

/**
 * The table's stream of counter changes, processed by the app-quotas function (SPEC §8: no fourth
 * function): an event source mapping filtered to counter records, with bisection, partial batch
 * failures and a dead-letter queue that an alarm watches; and the stage's EventBridge bus the
 * threshold events go to. {@link UsageStream.routeEvents} routes them to the alarm topic and,
 * optionally, a webhook.
 */
export class UsageStream extends Construct {
  /** The bus of the stage's threshold events. */
  public readonly bus: EventBus;
  /** Its name, fixed by the stage. */
  public readonly busName: string;
  /** Where the records the mapping gave up on are described. */
  public readonly deadLetters: Queue;
  /** Goes off when a record was given up on. */
  public readonly deadLetterAlarm: Alarm;
  /** The stream's event source mapping. */
  public readonly mapping: EventSourceMapping;

  /** Creates the bus, the mapping and its dead-letter queue and alarm, and gives the function their settings. */
  constructor(scope: Construct, id: string, props: UsageStreamProps) {
    super(scope, id);
    const { table, fn, stage } = props;
    const streamArn = table.tableStreamArn;
    if (!streamArn) throw new Error('the table has no stream: the usage history and threshold events need one');

    this.busName = `${SERVICE_NAME}-${stage}-alerts`;
    this.bus = new EventBus(this, 'AlertBus', {
      eventBusName: this.busName,
      description: `${SERVICE_NAME} (${stage}): credential quota threshold events`,
    });
    this.bus.grantPutEventsTo(fn.function);
    fn.function.addEnvironment('ALERT_BUS_NAME', this.bus.eventBusName);
    if (props.alertThresholds) fn.function.addEnvironment('ALERT_THRESHOLDS', props.alertThresholds.join(','));
    if (props.historyRetentionDays)
      fn.function.addEnvironment('HISTORY_RETENTION_DAYS', String(props.historyRetentionDays));

    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the dead-letter queue itself: the stream's event source mapping sends it the records it gave " +
        "up on (cdk-nag only recognises queues named in another queue's redrive policy), and an alarm watches it.",
    });

    fn.function.addToRolePolicy(new PolicyStatement({ actions: [...STREAM_READ_ACTIONS], resources: [streamArn] }));
    this.mapping = new EventSourceMapping(this, 'CounterStream', {
      target: fn.function,
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.TRIM_HORIZON,
      ...STREAM_MAPPING,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.deadLetters),
      filters: [FilterCriteria.filter(COUNTER_RECORDS_PATTERN as Record<string, unknown>)],
    });

    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      // A sum over the period like every alarm of the stage: of a count of messages (never
      // negative), it reaches 1 exactly when a message was there at some point of the period.
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: Stats.SUM,
      }),
      threshold: DEAD_LETTER_ALARM_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `${SERVICE_NAME} (${stage}): counter stream records given up on (usage history or threshold events may ` +
        'miss them), 1 or more in 5 minutes',
    });
  }

  /**
   * Routes the threshold events to the alarm topic (EventBridge may use its key) and, given a
   * webhook URL, to an API destination that posts each event there with a generated token in
   * {@link ALERT_WEBHOOK_TOKEN_HEADER}. Returns the token's secret, when there is a webhook.
   */
  public routeEvents(topic: ITopic, topicKey: IKey, webhookUrl?: string): Secret | undefined {
    const rule = new Rule(this, 'ThresholdEvents', {
      eventBus: this.bus,
      description: `${SERVICE_NAME}: credential quota threshold events to the alarm topic${webhookUrl ? ' and the webhook' : ''}`,
      eventPattern: { source: [THRESHOLD_EVENT_SOURCE], detailType: [THRESHOLD_EVENT_DETAIL_TYPE] },
      targets: [new SnsTopic(topic)],
    });
    // The rules of this bus, by the name the stage fixes (the rule's own ARN would make the key
    // depend on the rule, which depends on the topic, which depends on the key).
    const { account, region, partition } = Stack.of(this);
    topicKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:events:${region}:${account}:rule/${this.busName}/*` },
        },
      }),
    );
    if (!webhookUrl) return undefined;
    const token = new Secret(this, 'WebhookToken', {
      description: `${SERVICE_NAME}: sent in ${ALERT_WEBHOOK_TOKEN_HEADER} with every threshold event posted to the webhook`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(token).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "EventBridge's connection copies the token when it is created: a rotation would not reach it. The receiver " +
        'checks the header against this value; to change it, set a new value and redeploy (the connection is updated).',
    });
    const connection = new Connection(this, 'WebhookConnection', {
      description: `${SERVICE_NAME}: the alert webhook`,
      authorization: Authorization.apiKey(ALERT_WEBHOOK_TOKEN_HEADER, token.secretValue),
    });
    const destination = new ApiDestination(this, 'Webhook', {
      description: `${SERVICE_NAME}: posts each threshold event to the alert webhook`,
      connection,
      endpoint: webhookUrl,
      httpMethod: HttpMethod.POST,
    });
    rule.addTarget(new ApiDestinationTarget(destination));
    return token;
  }
}
