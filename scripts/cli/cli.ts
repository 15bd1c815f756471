/**
 * The one command-line convention every script follows (`npm start`, `token`, `access-key`,
 * `invoke`, `openapi`, `migrate`, `bench`), so an operator learns it once:
 *
 * - `--help` (or `-h`) prints the usage on stdout and exits 0, whatever else is on the line;
 * - a usage error (an unknown option, a missing or malformed argument) is one line on stderr,
 *   `<command>: <what is wrong>; usage: ...`, and exit 2;
 * - a failure (a setting, a file, AWS, DynamoDB) is one line on stderr naming what failed, and
 *   exit 1; its stack trace only when `DEBUG` is set;
 * - a closed stdout or stderr (`| head -1`) ends the command quietly, exit 0.
 *
 * Arguments are read with `node:util` `parseArgs`, strict: the options a script declares and no
 * others.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SetupError } from '#local/setup-error.ts';

/** A wrong command line: told in one line with the usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Something the command could not do although its command line was right (a stage not deployed,
 * an unknown access key): told in one line, exit 1. {@link SetupError} is told the same way.
 */
export class CommandFailure extends Error {
  /** `cause`: the error behind it, whose stack `DEBUG` shows. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CommandFailure';
  }
}

/** What `parseArgs` takes, minus what the convention fixes (strict, and the arguments). */
export type CliArgsConfig = Omit<ParseArgsConfig, 'args' | 'strict' | 'tokens'>;

/** One command: its name as typed, its usage, and the options `parseArgs` reads. */
export interface CliSpec<T extends CliArgsConfig> {
  /** How the user runs it, e.g. `npm run access-key`: every message starts with it. */
  readonly name: string;
  /** The synopsis, one line starting `usage: `; a usage error repeats it. */
  readonly usage: string;
  /** More lines `--help` prints after the synopsis (what it does, the environment it reads). */
  readonly help?: string;
  /** The options (and whether positionals are allowed), as `parseArgs` takes them. */
  readonly config: T;
}

/** The command line, parsed. */
export type CliArgs<T extends CliArgsConfig> = ReturnType<typeof parseArgs<T & { strict: true }>>;

/** What a run of a command comes to: its exit code and what it prints. */
export interface CliOutcome {
  readonly exitCode: 0 | 1 | 2;
  readonly stdout?: string;
  readonly stderr?: string;
}

const HELP_FLAGS = new Set(['--help', '-h']);

/** `--help` anywhere before a `--` asks for help, even beside a mistake: it is what the user wants. */
const asksForHelp = (argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => HELP_FLAGS.has(arg));
};

/** The help text: the synopsis, then the details. */
export const helpText = (spec: CliSpec<CliArgsConfig>): string =>
  spec.help ? `${spec.usage}\n\n${spec.help.trimEnd()}\n` : `${spec.usage}\n`;

// parseArgs explains how to pass a positional that starts with `-` after its first sentence:
// advice about a form none of these commands takes.
const firstSentence = (message: string): string => message.split(/\.\s/)[0] ?? message;

/**
 * Reads `argv` as `spec` says; `undefined` when it asks for help. A command line `parseArgs`
 * refuses throws {@link UsageError}.
 */
export const parseCommandLine = <T extends CliArgsConfig>(
  spec: CliSpec<T>,
  argv: readonly string[],
): CliArgs<T> | undefined => {
  if (asksForHelp(argv)) return undefined;
  try {
    return parseArgs({ ...spec.config, args: [...argv], strict: true }) as CliArgs<T>;
  } catch (error) {
    throw new UsageError(firstSentence((error as Error).message));
  }
};

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();

/** An error as one line: its name too, unless plain, since the name often says what failed. */
export const errorLine = (error: unknown): string =>
  error instanceof Error
    ? error.name === 'Error' || error instanceof SetupError || error instanceof CommandFailure
      ? error.message
      : `${error.name}: ${error.message}`
    : String(error);

/**
 * The line (and exit code) an error comes to. A usage error carries the synopsis; a failure the
 * command knows (SetupError, CommandFailure) is its message; anything else keeps its error name
 * too (`CredentialsProviderError: ...`), since that is what names the failing part.
 */
export const describeError = (
  spec: CliSpec<CliArgsConfig>,
  error: unknown,
  env: NodeJS.ProcessEnv = process.env,
): CliOutcome => {
  const debug = Boolean(env.DEBUG);
  if (error instanceof UsageError) {
    return { exitCode: 2, stderr: `${spec.name}: ${oneLine(error.message)}; ${spec.usage}` };
  }
  const known = error instanceof SetupError || error instanceof CommandFailure;
  const line = `${spec.name}: ${oneLine(errorLine(error)) || 'failed'}${known || debug ? '' : ' (DEBUG=1 shows the stack)'}`;
  const behind = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const stack = debug && behind instanceof Error && behind.stack ? `\n${behind.stack}` : '';
  return { exitCode: 1, stderr: `${line}${stack}` };
};

/**
 * Runs a command without a process around it, for tests and for commands whose result is text:
 * `main` gets the parsed command line and returns what to print on stdout.
 */
export const evaluateCommand = async <T extends CliArgsConfig>(
  spec: CliSpec<T>,
  argv: readonly string[],
  main: (args: CliArgs<T>) => Promise<string | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliOutcome> => {
  try {
    const args = parseCommandLine(spec, argv);
    if (args === undefined) return { exitCode: 0, stdout: helpText(spec) };
    const stdout = await main(args);
    return stdout === undefined ? { exitCode: 0 } : { exitCode: 0, stdout };
  } catch (error) {
    return describeError(spec as CliSpec<CliArgsConfig>, error, env);
  }
};

/** A reader that went away (`| head -1`) has all it wanted: end, quietly, as a success. */
const endQuietlyOnEpipe = (stream: NodeJS.WriteStream): void => {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
};

/**
 * Runs a script's main body under the convention: parses `process.argv`, answers `--help`, and
 * turns a thrown error into its one line and exit code. `main` prints what it prints itself (a
 * server's banner, progress); the process ends when its work does, or at once on an error.
 */
export const runCli = async <T extends CliArgsConfig>(
  spec: CliSpec<T>,
  main: (args: CliArgs<T>) => Promise<void>,
): Promise<void> => {
  endQuietlyOnEpipe(process.stdout);
  endQuietlyOnEpipe(process.stderr);
  const outcome = await evaluateCommand(spec, process.argv.slice(2), async (args) => {
    await main(args);
    return undefined;
  });
  if (outcome.stdout !== undefined) process.stdout.write(outcome.stdout);
  if (outcome.stderr !== undefined) console.error(outcome.stderr);
  // At once: an open client or server of a half-done run must not keep a failed command alive.
  if (outcome.exitCode !== 0) process.exit(outcome.exitCode);
};
