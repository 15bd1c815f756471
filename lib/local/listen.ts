import { createServer } from 'node:net';
import { SetupError } from './setup-error.ts';

/** The error to show for a failed listen on `port`: a taken port becomes a {@link SetupError}. */
export const listenError = (error: unknown, port: number, setting: string): unknown =>
  (error as NodeJS.ErrnoException).code === 'EADDRINUSE' || (error as NodeJS.ErrnoException).code === 'EACCES'
    ? new SetupError(
        `${setting}=${port}: ${
          (error as NodeJS.ErrnoException).code === 'EACCES'
            ? 'not allowed to listen on'
            : 'another process already listens on'
        } port ${port}; stop it or set ${setting} to a free port`,
      )
    : error;

/**
 * Checks that `port` on 127.0.0.1 can be listened on, before anything slow is started, so a taken
 * port is told in a second, not after DynamoDB Local came up.
 */
export const ensurePortFree = (port: number, setting: string): Promise<void> =>
  new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', (error) => fail(listenError(error, port, setting)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done()));
  });
