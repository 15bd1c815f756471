/**
 * Runs `call(0..count-1)` with at most `width` in flight. More concurrent connections than a few
 * dozen time out against the suite's one DynamoDB Local on a loaded 2-core machine (and slow the
 * other test files sharing it), which would test the machine, not the service.
 */
export const inFlight = async <T>(count: number, width: number, call: (n: number) => Promise<T>): Promise<T[]> => {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < count; n = next++) results[n] = await call(n);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  return results;
};
