/**
 * A mistake in how a local command was set up (a setting, a missing tool, a taken port), told to
 * the user as one line naming the setting and the fix, with no stack trace.
 */
export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetupError';
  }
}

/**
 * Runs a command's main body; a {@link SetupError} is printed as `<command>: <message>` and exits 1.
 * Anything else is a bug and keeps its stack.
 */
export const runCommand = async (command: string, main: () => Promise<void>): Promise<void> => {
  try {
    await main();
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    console.error(`${command}: ${error.message}`);
    process.exit(1);
  }
};
