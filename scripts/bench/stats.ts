/**
 * Summary statistics of latency samples. Percentiles use the nearest-rank method: every figure
 * reported is a latency that was actually measured, never an interpolation between two.
 */

/** The `p`-th percentile (0-100) of `samples` by nearest rank; NaN when there are none. */
export const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
};

/** The median (nearest rank, so one of the samples). */
export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** Rounds for the report: milliseconds to the microsecond, ratios to the hundredth. */
export const round = (value: number, digits = 3): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/** A figure as the report and the progress lines print it: two decimals unless told. */
export const fixed = (value: number, digits = 2): string => value.toFixed(digits);

/** The value that occurs most often (the first of equals), e.g. the usual request count of an operation. */
export const mode = (values: readonly number[]): number => {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best = Number.NaN;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
};
