/**
 * The claim a local run holds on its `DATA_DIR`: one file, `DATA_DIR/local-run.json`, created
 * exclusively (so two processes never both hold it) and holding what a second terminal needs to
 * find the run: its pid, its command, the DynamoDB it serves and, for `npm start`, the API's URL.
 * DynamoDB Local keeps one database file per folder and is its only writer: a second DynamoDB
 * Local on a folder that one already serves would corrupt it, so whoever starts one holds the
 * claim first, and every other local command uses the claimant's DynamoDB instead.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SetupError } from './setup-error.ts';

/** What the file says about the run that holds the folder. */
export interface RunState {
  readonly pid: number;
  /** The command as typed (`npm start`, `npm run access-key`). */
  readonly command: string;
  /** Whether the run ends by itself (a script) rather than serving until stopped (`npm start`). */
  readonly transient: boolean;
  /** The DynamoDB the run serves, once it answers. */
  readonly dynamodbEndpoint?: string;
  readonly tableName?: string;
  /** `npm start`'s API base URL. */
  readonly base?: string;
}

/** The file that holds the claim on a data folder. */
export const runStateFile = (dataDir: string): string => join(dataDir, 'local-run.json');

/** A claim held by this process: tell others more as start-up goes on, then let go. */
export interface DataDirClaim {
  readonly file: string;
  /** Writes what the run serves, for a second terminal to find. */
  update(state: Omit<RunState, 'pid' | 'command' | 'transient'>): void;
  /** Removes the file, if it is still this process's. */
  release(): void;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user holds that pid, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

// A file being written by its claimant is empty or partial for an instant: young unreadable files
// are a claim in progress, old ones a leftover.
const YOUNG_MS = 10_000;

/**
 * The live run that holds `dataDir`, if any. A file whose process is gone (a run killed with
 * SIGKILL) holds nothing.
 */
export const readRunState = (dataDir: string): RunState | undefined => {
  const file = runStateFile(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let state: RunState | undefined;
  try {
    state = JSON.parse(text) as RunState;
  } catch {
    state = undefined;
  }
  if (typeof state?.pid !== 'number') {
    const age = Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0);
    return age < YOUNG_MS ? { pid: 0, command: 'another local run', transient: true } : undefined;
  }
  return alive(state.pid) ? state : undefined;
};

const describe = (state: RunState): string =>
  `${state.command} (pid ${state.pid}${state.base ? `, API ${state.base}` : ''}${
    state.dynamodbEndpoint ? `, DynamoDB ${state.dynamodbEndpoint}` : ''
  })`;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** How to claim a folder. */
export interface ClaimOptions {
  readonly dataDir: string;
  readonly command: string;
  readonly transient: boolean;
  /** How long to wait for a script (a transient holder) to let go. */
  readonly waitMs?: number;
}

/**
 * Claims `dataDir` for this process, or throws a {@link SetupError} naming the run that holds it.
 * A script that holds it is waited for (it ends by itself, within `waitMs`); `npm start` is not.
 * A leftover file of a process that is gone is taken over.
 */
export const claimDataDir = async ({
  dataDir,
  command,
  transient,
  waitMs = 60_000,
}: ClaimOptions): Promise<DataDirClaim> => {
  mkdirSync(dataDir, { recursive: true });
  const file = runStateFile(dataDir);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const mine: RunState = { pid: process.pid, command, transient };
    try {
      writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      return claimOf(file, mine);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readRunState(dataDir);
    if (!holder) {
      // Taken over from a process that is gone. Two processes taking over the same leftover at
      // the same instant could both remove it; a local tool accepts that rare race.
      rmSync(file, { force: true });
      continue;
    }
    if (!holder.transient || Date.now() > deadline)
      throw new SetupError(
        `DATA_DIR=${dataDir} is in use by ${describe(holder)}: stop it, or set DATA_DIR to another folder`,
      );
    await sleep(200);
  }
};

const claimOf = (file: string, mine: RunState): DataDirClaim => {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      const state = JSON.parse(readFileSync(file, 'utf8')) as RunState;
      if (state.pid === process.pid) rmSync(file, { force: true });
    } catch {
      // Gone or unreadable: nothing of ours to remove.
    }
  };
  // An exit by any path (an error, process.exit) lets go; only SIGKILL leaves the file, and then
  // its pid is dead, which readers take as no claim.
  process.on('exit', release);
  return {
    file,
    update: (state) => writeFileSync(file, JSON.stringify({ ...mine, ...state })),
    release,
  };
};
