import { SERVICE_NAME } from '#app/config.ts';
import type { FunctionName } from '#routing/route-types.ts';

/** The CloudWatch namespace of the service's own metrics. */
export const METRICS_NAMESPACE = 'CredentialQuota';

/**
 * The metrics the functions write, in CloudWatch embedded metric format (JSON lines on stdout,
 * which Lambda sends to the function's log group and CloudWatch turns into metrics: no request).
 *
 * Dimensions take only values the service fixes, never one a tenant creates: `service` always, and
 * `function` (three) on the error metrics. Instances (up to 100 a project, projects unbounded) and
 * apps (thousands an instance) are created by API callers, and each dimension value is a separate,
 * billed CloudWatch metric: who calls most goes in {@link CONSUME_TALLY} lines instead, which
 * Contributor Insights rules rank.
 */
export const METRIC = {
  /** Consume calls admitted (200). */
  consumeAdmitted: 'ConsumeAdmitted',
  /** Consume calls refused (429). */
  consumeRefused: 'ConsumeRefused',
  /** Cost units of admitted calls. */
  admittedUnits: 'AdmittedUnits',
  /** Cost units of refused calls. */
  refusedUnits: 'RefusedUnits',
  /** The consume invocation from routing to response, milliseconds. */
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

/** What the consume handler learned: which credential of which instance, admitted or not, for how many units. */
export interface ConsumptionRecord {
  readonly projectId: string;
  readonly instanceId: string;
  readonly appKey: string;
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

/**
 * How many credentials a container names in the {@link CONSUME_TALLY} lines of one write, the ones
 * with the most calls in it; the rest go in one line under {@link TALLY_OTHERS}. It bounds the
 * bytes a write costs however many credentials its calls came from (docs/design.md, "Cost per
 * million checks").
 */
export const METRICS_TOP_CREDENTIALS = 5;

/**
 * The fields of a consume tally line: one JSON line per credential (project, instance, app key)
 * with its calls admitted and refused since the last write, a count left out when zero. Not a
 * metric: the Contributor Insights rules of the stack (lib/infra/contributor-insights.ts) sum
 * these fields per instance and per credential, so the hottest and most refused are ranked with no
 * CloudWatch metric per tenant.
 */
export const CONSUME_TALLY = {
  /** The field that marks the line, with the value {@link CONSUME_TALLY_KIND}. */
  kind: 'tally',
  projectId: 'project',
  instanceId: 'instance',
  appKey: 'app_key',
  admitted: 'admitted',
  refused: 'refused',
} as const;

/** The value of a tally line's {@link CONSUME_TALLY} `kind` field. */
export const CONSUME_TALLY_KIND = 'consume';

/** The project, instance and app key of the tally line that sums the credentials a write does not name. */
export const TALLY_OTHERS = '(others)';

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

/** The consumes since the last write. */
interface ConsumeTally {
  admitted: number;
  admittedUnits: number;
  refused: number;
  refusedUnits: number;
  readonly latencies: number[];
}

/** One credential's calls since the last write. */
interface CredentialTally {
  readonly projectId: string;
  readonly instanceId: string;
  readonly appKey: string;
  admitted: number;
  refused: number;
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

const tallyLine = (tally: CredentialTally): string => {
  const line: Record<string, string | number> = {
    [CONSUME_TALLY.kind]: CONSUME_TALLY_KIND,
    [CONSUME_TALLY.projectId]: tally.projectId,
    [CONSUME_TALLY.instanceId]: tally.instanceId,
    [CONSUME_TALLY.appKey]: tally.appKey,
  };
  if (tally.admitted > 0) line[CONSUME_TALLY.admitted] = tally.admitted;
  if (tally.refused > 0) line[CONSUME_TALLY.refused] = tally.refused;
  return `${JSON.stringify(line)}\n`;
};

/**
 * The tally lines of one write: the {@link METRICS_TOP_CREDENTIALS} credentials with the most calls
 * (ties in the order they first called), then one {@link TALLY_OTHERS} line summing the rest.
 */
const tallyLines = (tallies: Iterable<CredentialTally>): string[] => {
  const ranked = [...tallies].sort((a, b) => b.admitted + b.refused - (a.admitted + a.refused));
  const named = ranked.slice(0, METRICS_TOP_CREDENTIALS);
  const rest = ranked.slice(METRICS_TOP_CREDENTIALS);
  const lines = named.map(tallyLine);
  if (rest.length > 0) {
    lines.push(
      tallyLine({
        projectId: TALLY_OTHERS,
        instanceId: TALLY_OTHERS,
        appKey: TALLY_OTHERS,
        admitted: rest.reduce((sum, tally) => sum + tally.admitted, 0),
        refused: rest.reduce((sum, tally) => sum + tally.refused, 0),
      }),
    );
  }
  return lines;
};

/**
 * The metrics of one container. The consume handler notes its outcome with {@link consumption};
 * the middleware adds the invocation with {@link publish} when it ends. Counts are summed (consumes
 * in total, errors per function, calls per credential) and written as one EMF line for the
 * consumes, one per function with errors and the {@link CONSUME_TALLY} lines of at most
 * {@link METRICS_TOP_CREDENTIALS} credentials and the rest, the EMF lines stamped with the time of
 * the first call they hold, when the end of an invocation finds {@link METRICS_BATCH_CALLS}
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
  #consumes: ConsumeTally | undefined;
  #credentials = new Map<string, CredentialTally>();
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
    if (consumption) this.#count(consumption, invocation.latencyMs);
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

  #count({ projectId, instanceId, appKey, admitted, cost }: ConsumptionRecord, latencyMs: number): void {
    this.#consumes ??= { admitted: 0, admittedUnits: 0, refused: 0, refusedUnits: 0, latencies: [] };
    const tally = this.#consumes;
    // A separator no id or app key can hold (they are letters, digits and a few marks).
    const key = `${projectId}\n${instanceId}\n${appKey}`;
    let credential = this.#credentials.get(key);
    if (!credential) {
      credential = { projectId, instanceId, appKey, admitted: 0, refused: 0 };
      this.#credentials.set(key, credential);
    }
    if (admitted) {
      tally.admitted += 1;
      tally.admittedUnits += cost;
      credential.admitted += 1;
    } else {
      tally.refused += 1;
      tally.refusedUnits += cost;
      credential.refused += 1;
    }
    tally.latencies.push(tenths(latencyMs));
  }

  /** Writes everything held (the consumes' line, one per function with errors, the tally lines) and starts afresh. */
  flush(): void {
    const timestamp = this.#firstAt;
    const consumes = this.#consumes;
    if (consumes) {
      this.#sink(
        emfLine(
          timestamp,
          {},
          [[]],
          nonZero([
            [METRIC.consumeAdmitted, 'Count', consumes.admitted],
            [METRIC.admittedUnits, 'Count', consumes.admittedUnits],
            [METRIC.consumeRefused, 'Count', consumes.refused],
            [METRIC.refusedUnits, 'Count', consumes.refusedUnits],
            [METRIC.consumeLatency, 'Milliseconds', consumes.latencies],
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
    for (const line of tallyLines(this.#credentials.values())) this.#sink(line);
    this.#consumes = undefined;
    this.#credentials = new Map();
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
