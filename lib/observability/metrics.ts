import { SERVICE_NAME } from '#app/config.ts';
import type { FunctionName } from '#routing/route-types.ts';

/** The CloudWatch namespace of the service's own metrics. */
export const METRICS_NAMESPACE = 'CredentialQuota';

/**
 * The metrics the functions write, in CloudWatch embedded metric format (one JSON line on stdout,
 * which Lambda sends to the function's log group and CloudWatch turns into metrics: no request).
 *
 * Dimensions are bounded on purpose: `service` always; `instance` (one per gateway instance, a
 * handful per account) on the consume metrics, which also go out with `service` alone for totals;
 * `function` (three) on the error metrics. Never the app: apps number in the thousands per
 * instance and are created by API callers, and each dimension value is a separate, billed
 * CloudWatch metric.
 */
export const METRIC = {
  /** Consume calls admitted (200), by instance. */
  consumeAdmitted: 'ConsumeAdmitted',
  /** Consume calls refused (429), by instance. */
  consumeRefused: 'ConsumeRefused',
  /** Cost units of admitted calls, by instance. */
  admittedUnits: 'AdmittedUnits',
  /** Cost units of refused calls, by instance. */
  refusedUnits: 'RefusedUnits',
  /** The consume invocation from routing to response, milliseconds, by instance. */
  consumeLatency: 'ConsumeLatency',
  /** Answers 400-499 other than a consume's 429 refusal, by function. */
  clientErrors: 'ClientErrors',
  /** Answers 500-599, by function: the control plane's errors for registry and app-quotas. */
  serverErrors: 'ServerErrors',
  /** 503 `CQ.5030`: DynamoDB throttled or timed out past the SDK's retries, by function. */
  serviceUnavailable: 'ServiceUnavailable',
  /** The part of those 503s that DynamoDB throttling caused, by function. */
  dynamoDbThrottles: 'DynamoDbThrottles',
} as const;

/** What the consume handler learned: which instance, admitted or not, for how many units. */
export interface ConsumptionRecord {
  readonly instanceId: string;
  readonly admitted: boolean;
  readonly cost: number;
}

/** How one invocation ended, as the metrics middleware sees it. */
export interface InvocationRecord {
  readonly fn: FunctionName;
  readonly status: number;
  readonly latencyMs: number;
  /** Whether a 503 came from DynamoDB throttling (rather than timeouts). */
  readonly throttled: boolean;
}

type Unit = 'Count' | 'Milliseconds';
type Metric = readonly [name: string, unit: Unit, value: number];

/**
 * One EMF document (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * the metrics' values and the dimensions' values at the top level, and the `_aws` directive that
 * names them. `service` is in every dimension set, as the table in docs/operations.md says.
 */
const emfLine = (
  dimensions: Readonly<Record<string, string>>,
  dimensionSets: readonly (readonly string[])[],
  metrics: readonly Metric[],
): string => {
  const document = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: dimensionSets.map((set) => ['service', ...set]),
          Metrics: metrics.map(([name, unit]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    service: SERVICE_NAME,
    ...dimensions,
    ...Object.fromEntries(metrics.map(([name, , value]) => [name, value])),
  };
  return `${JSON.stringify(document)}\n`;
};

/**
 * One invocation's metrics: the consume handler notes its outcome with {@link consumption}, and
 * the middleware writes everything with {@link publish} when the invocation ends. It holds the
 * invocation under way, so one instance serves one invocation at a time, as a Lambda container
 * runs them. The lines go to stdout by `process.stdout.write`, never through `console`, which
 * Lambda prefixes with text that would hide the JSON from CloudWatch.
 */
export class ServiceMetrics {
  readonly #sink: (line: string) => void;
  #consumption: ConsumptionRecord | undefined;

  constructor(sink: (line: string) => void = (line) => process.stdout.write(line)) {
    this.#sink = sink;
  }

  /** Notes a consume's outcome; written by the next {@link publish}. */
  consumption(record: ConsumptionRecord): void {
    this.#consumption = record;
  }

  /** Writes the invocation's EMF lines (none when there is nothing to count) and starts afresh. */
  publish(invocation: InvocationRecord): void {
    const consumption = this.#consumption;
    this.#consumption = undefined;
    if (consumption) {
      const [count, units] = consumption.admitted
        ? [METRIC.consumeAdmitted, METRIC.admittedUnits]
        : [METRIC.consumeRefused, METRIC.refusedUnits];
      // A second dimension set of `service` alone: the totals, without summing every instance.
      this.#sink(
        emfLine(
          { instance: consumption.instanceId },
          [['instance'], []],
          [
            [count, 'Count', 1],
            [units, 'Count', consumption.cost],
            [METRIC.consumeLatency, 'Milliseconds', invocation.latencyMs],
          ],
        ),
      );
    }
    const { status } = invocation;
    const refusal = consumption !== undefined && !consumption.admitted && status === 429;
    if (status < 400 || refusal) return;
    const errors: Metric[] =
      status < 500
        ? [[METRIC.clientErrors, 'Count', 1]]
        : [
            [METRIC.serverErrors, 'Count', 1],
            ...(status === 503 ? ([[METRIC.serviceUnavailable, 'Count', 1]] as const) : []),
            ...(status === 503 && invocation.throttled ? ([[METRIC.dynamoDbThrottles, 'Count', 1]] as const) : []),
          ];
    this.#sink(emfLine({ function: invocation.fn }, [['function']], errors));
  }
}
