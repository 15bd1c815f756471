import { performance } from 'node:perf_hooks';

/**
 * Runs one block of the bench and reports it: `title` as it starts, its time and `summary` of
 * its result as it ends.
 */
export type RunBlock = <T>(title: string, run: () => Promise<T>, summary?: (result: T) => string) => Promise<T>;

/** A run's progress on stderr: one line per block, so stdout keeps the report. */
export interface Progress {
  readonly block: RunBlock;
  /** A line of its own in the middle of a block (a warning); the block's line is told whole when it ends. */
  note(line: string): void;
}

/** How a {@link Progress} writes and what it checks. */
export interface ProgressOptions {
  /** Where the text goes: stderr by default. */
  readonly write?: (text: string) => void;
  /** Runs as each block ends and may throw: the block is then reported failed. */
  readonly check?: () => void;
  /** Said after a block that failed (where to look). */
  readonly onFailure?: string;
}

const since = (start: number): string => ((performance.now() - start) / 1000).toFixed(1);

/**
 * The progress of a run of `total` blocks, one after another: a block's line is written in two
 * parts, `bench: [3/16] operation bind 1 ...` as it starts (an operator sees what runs now) and
 * ` done in 2.1 s: <summary>` as it ends, so that a finished run shows one line per block.
 */
export const progressOf = (total: number, options: ProgressOptions = {}): Progress => {
  const write = options.write ?? ((text: string) => void process.stderr.write(text));
  let started = 0;
  // The start of the line written and not yet ended, if any.
  let open: string | undefined;
  const end = (head: string, tail: string) => {
    write(open === head ? ` ${tail}\n` : `${head} ${tail}\n`);
    open = undefined;
  };
  return {
    block: async (title, run, summary) => {
      started += 1;
      const head = `bench: [${started}/${total}] ${title} ...`;
      write(head);
      open = head;
      const start = performance.now();
      try {
        const result = await run();
        options.check?.();
        const said = summary?.(result);
        end(head, `done in ${since(start)} s${said ? `: ${said}` : ''}`);
        return result;
      } catch (error) {
        end(head, `failed after ${since(start)} s${options.onFailure ? `; ${options.onFailure}` : ''}`);
        throw error;
      }
    },
    note: (line) => {
      write(`${open === undefined ? '' : '\n'}${line}\n`);
      open = undefined;
    },
  };
};
