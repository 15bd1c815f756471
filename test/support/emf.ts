import { vi } from 'vitest';
import type { ApiEvent } from '#http/api-types.ts';
import type { createServiceHandlers } from '#local/service-handlers.ts';
import type { FunctionName } from '#routing/route-types.ts';
import { type TestResponse, testContext, testEvent, testResponse } from './api-client.ts';

/** One line of CloudWatch embedded metric format, as a function writes it to stdout. */
export interface EmfLine {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

/** The JSON lines among what was written to stdout. */
const jsonLines = (written: readonly string[]): Record<string, unknown>[] =>
  written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * Runs `run` and returns its result, the EMF lines it wrote to stdout (a flush, an invocation), and
 * the consume tally lines (`CONSUME_TALLY` of lib/observability/metrics.ts).
 */
export const emfWrittenBy = async <T>(
  run: () => T | Promise<T>,
): Promise<{ result: T; emf: EmfLine[]; tallies: Record<string, unknown>[] }> => {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const result = await run();
    const lines = jsonLines(written);
    return {
      result,
      emf: lines.filter((line) => '_aws' in line) as EmfLine[],
      tallies: lines.filter((line) => line.tally === 'consume'),
    };
  } finally {
    write.mockRestore();
  }
};

/** Invokes a function and returns its answer and the EMF lines it wrote to stdout. */
export const invokeLogged = async (
  handlers: ReturnType<typeof createServiceHandlers>,
  fn: FunctionName,
  event: ApiEvent,
): Promise<{ response: TestResponse; emf: EmfLine[] }> => {
  const { result, emf } = await emfWrittenBy(async () => testResponse(await handlers[fn](event, testContext(fn))));
  return { response: result, emf };
};

/** A line's metrics as name -> [unit, value], and its dimension sets and values. */
export const readEmf = (line: EmfLine | undefined) => {
  const directive = line?._aws.CloudWatchMetrics[0];
  return {
    namespace: directive?.Namespace,
    dimensions: directive?.Dimensions,
    metrics: Object.fromEntries((directive?.Metrics ?? []).map((m) => [m.Name, [m.Unit, line?.[m.Name]]])),
    values: Object.fromEntries(
      [...new Set(directive?.Dimensions.flat())].map((dimension) => [dimension, line?.[dimension]]),
    ),
  };
};

/**
 * Calls a route of an instance (`base`, with `token`) through the deployed handler stack and
 * returns its answer and the EMF lines it wrote to stdout.
 */
export const callLogged = (
  handlers: ReturnType<typeof createServiceHandlers>,
  fixture: { readonly base: string; readonly token: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ response: TestResponse; emf: EmfLine[] }> => {
  const { fn, event } = testEvent(method, `${fixture.base}${path}`, { token: fixture.token, body });
  return invokeLogged(handlers, fn, event);
};
