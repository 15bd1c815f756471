import { createServer, Socket } from 'node:net';

/** What the proxy does with a request: pass it on, pass it on late, or hold it until released. */
export type ProxyAction = 'pass' | { readonly delayMs: number } | 'hold';

/** A TCP proxy in front of DynamoDB that slows or holds requests by operation, as a sick network does. */
export interface DelayingProxy {
  /** The URL to give the SDK instead of DynamoDB's. */
  readonly endpoint: string;
  /** Decides, for each request from now on, by its `X-Amz-Target` operation (e.g. `TransactWriteItems`). */
  route(decide: (operation: string) => ProxyAction): void;
  /** Sends on everything held, in order (DynamoDB then applies it), and passes what follows. */
  release(): void;
  /** Operations seen, in order, with what was done with each. */
  readonly seen: { operation: string; action: string }[];
  close(): Promise<void>;
}

const TARGET = /x-amz-target:\s*DynamoDB_\d+\.(\w+)/i;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Starts a proxy to `target` (an `http://host:port` URL) on a free loopback port. Bytes from the
 * client are judged per request (a chunk naming an operation starts one; a chunk without one is
 * the rest of the last) and forwarded in order per connection; answers come back untouched. Held
 * bytes are forwarded on release even when the client has given up on them: a request that left
 * its client reaches DynamoDB all the same, late.
 */
export const startDelayingProxy = async (target: string): Promise<DelayingProxy> => {
  const { hostname, port } = new URL(target);
  let decide: (operation: string) => ProxyAction = () => 'pass';
  let releaseHeld: () => void = () => undefined;
  let held = new Promise<void>((done) => {
    releaseHeld = done;
  });
  const seen: { operation: string; action: string }[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let queue = Promise.resolve();
    let current: ProxyAction = 'pass';
    client.on('data', (chunk: Buffer) => {
      const operation = TARGET.exec(chunk.toString('latin1'))?.[1];
      if (operation) {
        current = decide(operation);
        seen.push({ operation, action: typeof current === 'string' ? current : `delay ${current.delayMs} ms` });
      }
      const action = current;
      const gate = held;
      queue = queue.then(async () => {
        if (action === 'hold') await gate;
        else if (action !== 'pass') await sleep(action.delayMs);
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    // The client gone, what it sent still goes on once let through; then the connection closes.
    client.on('close', () => void queue.then(() => upstream.end()));
    client.on('error', () => undefined);
    upstream.on('data', (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
    upstream.on('close', () => client.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    route(next) {
      decide = next;
    },
    release() {
      decide = () => 'pass';
      releaseHeld();
      held = new Promise<void>((done) => {
        releaseHeld = done;
      });
    },
    seen,
    close: () =>
      new Promise<void>((done) => {
        releaseHeld();
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
};
