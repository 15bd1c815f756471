import { readFileSync } from 'node:fs';

/** Where the cost table's log-byte figures are written, and read back by the tests that bound them. */
export const COST_FIGURES_FILE = new URL('../../docs/design.md', import.meta.url);

/** The bytes CloudWatch Logs counts for each log event besides its message (PutLogEvents' sizing). */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

/**
 * The bytes per check the docs' "Log bytes per check" table gives one log stream (the row whose
 * first cell is `stream`), for an admitted and a refused call. The tests assert that what they
 * measure is at most these, so the cost table cannot claim less than the code writes.
 */
export const logBytesFigure = (stream: string): { readonly admitted: number; readonly refused: number } => {
  const row = readFileSync(COST_FIGURES_FILE, 'utf8')
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .find((cells) => cells[1] === stream);
  const [admitted, refused] = [row?.[2], row?.[3]].map(Number);
  if (admitted === undefined || refused === undefined || !Number.isFinite(admitted) || !Number.isFinite(refused)) {
    throw new Error(`docs/design.md has no "| ${stream} | admitted | refused |" row of numbers`);
  }
  return { admitted, refused };
};

/** What a run of lines costs CloudWatch Logs in bytes: their UTF-8 bytes plus each event's overhead. */
export const billedLogBytes = (lines: readonly string[]): number =>
  lines.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8') + LOG_EVENT_OVERHEAD_BYTES, 0);
