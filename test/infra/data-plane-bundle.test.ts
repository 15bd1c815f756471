import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFunction } from '../../scripts/bench/bundles.ts';

/**
 * The data plane's bundle (quota-consumptions, as the stack builds it) in bytes, measured on the
 * commit before the table's stream processing existed (a7971de, 2026-12-03). The usage history
 * and threshold events ride on the stream, in app-quotas: consume must not carry any of it. A
 * deliberate change of the data plane re-measures this figure in its own commit.
 */
const DATA_PLANE_BYTES_BEFORE_STREAM = 401_462;

/** Modules of the stream's processing, history and alerts: the data plane's bundle holds none of them. */
const STREAM_MODULES =
  /lib\/(adapters\/(counter-stream-handler|alert-sinks)|use-cases\/record-counter-changes|local\/(table-stream|stream-poller)|app\/usage-stream-deps|domain\/threshold-event|store\/items\/(usage-history-item|threshold-alert-item))\.ts$/;

const outDir = mkdtempSync(join(tmpdir(), 'data-plane-bundle-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the data plane’s bundle, with the stream processing in app-quotas', () => {
  it('holds no module of the stream, the history or the alerts, and stays within 1% of its size before them', async () => {
    const file = await bundleFunction('quota-consumptions', outDir);
    const sources: string[] = JSON.parse(readFileSync(`${file}.map`, 'utf8')).sources;
    expect(sources.some((source) => source.endsWith('lib/use-cases/consume/consume.ts'))).toBe(true);
    expect(sources.filter((source) => STREAM_MODULES.test(source))).toEqual([]);
    const bytes = statSync(file).size;
    expect(Math.abs(bytes - DATA_PLANE_BYTES_BEFORE_STREAM) / DATA_PLANE_BYTES_BEFORE_STREAM).toBeLessThan(0.01);
  });

  it('would see a stream module in app-quotas’ bundle, which processes the stream', async () => {
    const file = await bundleFunction('app-quotas', outDir);
    const sources: string[] = JSON.parse(readFileSync(`${file}.map`, 'utf8')).sources;
    expect(sources.filter((source) => STREAM_MODULES.test(source)).length).toBeGreaterThan(3);
  });
});
