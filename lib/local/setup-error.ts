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
