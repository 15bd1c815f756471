import { SERVICE_NAME } from '#app/config.ts';
import type { FunctionName } from '#routing/route-types.ts';

/** The CloudWatch namespace of the service's own metrics. */
export const METRICS_NAMESPACE = 'CredentialQuota';

/**
 * The metrics the functions write, in CloudWatch embedded metric format (JSON lines on stdout,
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

/**
 * How many invocations a container counts before it writes them: at most this many latencies go
 * in one line, the most one EMF metric may carry (100 values).
 */
export const METRICS_BATCH_CALLS = 100;

/**
 * How long a container holds counts before the end of its next invocation writes them: CloudWatch's
 * standard resolution, so a busy minute costs one line per container, not one per call.
 */
export const METRICS_FLUSH_INTERVAL_MS = 60_000;

type Unit = 'Count' | 'Milliseconds';
type Metric = readonly [name: string, unit: Unit, value: number | readonly number[]];

/**
 * One EMF document (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * the metrics' values and the dimensions' values at the top level, and the `_aws` directive that
 * names them. `service` is in every dimension set, as the table in docs/operations.md says.
 */
const emfLine = (
  timestamp: number,
  dimensions: Readonly<Record<string, string>>,
  dimensionSets: readonly (readonly string[])[],
  metrics: readonly Metric[],
): string => {
  const document = {
    _aws: {
      Timestamp: timestamp,
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

/** The counts of one instance's consumes since the last write. */
interface ConsumeTally {
  admitted: number;
  admittedUnits: number;
  refused: number;
  refusedUnits: number;
  readonly latencies: number[];
}

/** The error answers of one function since the last write. */
interface ErrorTally {
  client: number;
  server: number;
  unavailable: number;
  throttled: number;
}

// Tenths of a millisecond: finer than any percentile on the dashboard needs, and few bytes a value.
const tenths = (ms: number) => Math.round(ms * 10) / 10;

// Only the metrics that counted something: a zero would cost bytes and say nothing a SUM needs.
const nonZero = (metrics: readonly Metric[]) =>
  metrics.filter(([, , value]) => (typeof value === 'number' ? value !== 0 : value.length > 0));

/** When a {@link ServiceMetrics} writes what it holds, and where. */
export interface ServiceMetricsOptions {
  /** @default process.stdout.write */
  readonly sink?: (line: string) => void;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** @default METRICS_BATCH_CALLS */
  readonly batchCalls?: number;
  /** @default METRICS_FLUSH_INTERVAL_MS */
  readonly flushIntervalMs?: number;
}

/**
 * The metrics of one container. The consume handler notes its outcome with {@link consumption};
 * the middleware adds the invocation with {@link publish} when it ends. Counts are summed per
 * instance (consumes) and per function (errors) and written as one EMF line each, stamped with the
 * time of the first call they hold, when the end of an invocation finds {@link METRICS_BATCH_CALLS}
 * invocations held or the first of them {@link METRICS_FLUSH_INTERVAL_MS} old, and when the
 * container shuts down ({@link flushOnShutdown}). A frozen container writes nothing until it is
 * thawed or shut down; what a crashed or timed-out container held is lost (docs/operations.md,
 * "Metrics, dashboard and alarms"). One instance serves one invocation at a time, as a Lambda
 * container runs them. The lines go to stdout by `process.stdout.write`, never through `console`,
 * which Lambda prefixes with text that would hide the JSON from CloudWatch.
 */
export class ServiceMetrics {
  readonly #sink: (line: string) => void;
  readonly #now: () => number;
  readonly #batchCalls: number;
  readonly #flushIntervalMs: number;
  #consumption: ConsumptionRecord | undefined;
  #consumes = new Map<string, ConsumeTally>();
  #errors = new Map<FunctionName, ErrorTally>();
  #held = 0;
  #firstAt = 0;

  constructor({
    sink = (line) => process.stdout.write(line),
    now = Date.now,
    batchCalls = METRICS_BATCH_CALLS,
    flushIntervalMs = METRICS_FLUSH_INTERVAL_MS,
  }: ServiceMetricsOptions = {}) {
    if (!Number.isInteger(batchCalls) || batchCalls < 1 || batchCalls > METRICS_BATCH_CALLS) {
      throw new Error(`batchCalls must be an integer from 1 to ${METRICS_BATCH_CALLS}, got ${batchCalls}`);
    }
    this.#sink = sink;
    this.#now = now;
    this.#batchCalls = batchCalls;
    this.#flushIntervalMs = flushIntervalMs;
  }

  /** Notes a consume's outcome; counted by the next {@link publish}. */
  consumption(record: ConsumptionRecord): void {
    this.#consumption = record;
  }

  /** Counts the invocation (and the consume it noted), then writes everything held if it is time. */
  publish(invocation: InvocationRecord): void {
    const consumption = this.#consumption;
    this.#consumption = undefined;
    const now = this.#now();
    if (this.#held === 0) this.#firstAt = now;
    this.#held += 1;
    if (consumption) {
      let tally = this.#consumes.get(consumption.instanceId);
      if (!tally) {
        tally = { admitted: 0, admittedUnits: 0, refused: 0, refusedUnits: 0, latencies: [] };
        this.#consumes.set(consumption.instanceId, tally);
      }
      if (consumption.admitted) {
        tally.admitted += 1;
        tally.admittedUnits += consumption.cost;
      } else {
        tally.refused += 1;
        tally.refusedUnits += consumption.cost;
      }
      tally.latencies.push(tenths(invocation.latencyMs));
    }
    const { status } = invocation;
    const refusal = consumption !== undefined && !consumption.admitted && status === 429;
    if (status >= 400 && !refusal) {
      let errors = this.#errors.get(invocation.fn);
      if (!errors) {
        errors = { client: 0, server: 0, unavailable: 0, throttled: 0 };
        this.#errors.set(invocation.fn, errors);
      }
      if (status < 500) errors.client += 1;
      else {
        errors.server += 1;
        if (status === 503) {
          errors.unavailable += 1;
          if (invocation.throttled) errors.throttled += 1;
        }
      }
    }
    if (this.#held >= this.#batchCalls || now - this.#firstAt >= this.#flushIntervalMs) this.flush();
  }

  /** Writes everything held (one line per instance with consumes, one per function with errors) and starts afresh. */
  flush(): void {
    const timestamp = this.#firstAt;
    for (const [instanceId, tally] of this.#consumes) {
      // A second dimension set of `service` alone: the totals, without summing every instance.
      this.#sink(
        emfLine(
          timestamp,
          { instance: instanceId },
          [['instance'], []],
          nonZero([
            [METRIC.consumeAdmitted, 'Count', tally.admitted],
            [METRIC.admittedUnits, 'Count', tally.admittedUnits],
            [METRIC.consumeRefused, 'Count', tally.refused],
            [METRIC.refusedUnits, 'Count', tally.refusedUnits],
            [METRIC.consumeLatency, 'Milliseconds', tally.latencies],
          ]),
        ),
      );
    }
    for (const [fn, errors] of this.#errors) {
      this.#sink(
        emfLine(
          timestamp,
          { function: fn },
          [['function']],
          nonZero([
            [METRIC.clientErrors, 'Count', errors.client],
            [METRIC.serverErrors, 'Count', errors.server],
            [METRIC.serviceUnavailable, 'Count', errors.unavailable],
            [METRIC.dynamoDbThrottles, 'Count', errors.throttled],
          ]),
        ),
      );
    }
    this.#consumes = new Map();
    this.#errors = new Map();
    this.#held = 0;
  }
}

/** The part of `process` that {@link flushOnShutdown} uses. */
export interface ShutdownSignals {
  once(event: 'SIGTERM', listener: () => void): unknown;
  exit(code: number): never;
}

/**
 * Writes what `metrics` holds when Lambda shuts the container down, then exits as Lambda expects.
 * Lambda sends the runtime SIGTERM before a shutdown only when an extension is registered: the
 * stack always adds one (the Parameters and Secrets extension), so no count waits forever.
 */
export const flushOnShutdown = (metrics: ServiceMetrics, signals: ShutdownSignals = process): void => {
  signals.once('SIGTERM', () => {
    metrics.flush();
    signals.exit(0);
  });
};

/** The metrics of a Lambda container: counts batched, and written at the latest when it shuts down. */
export const containerMetrics = (): ServiceMetrics => {
  const metrics = new ServiceMetrics();
  flushOnShutdown(metrics);
  return metrics;
};
