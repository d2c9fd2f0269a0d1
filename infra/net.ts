import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Only addresses on this machine are ours to start a server on. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** The address a server we start should bind: 'localhost' means IPv4 loopback, like the defaults. */
export function listenHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' ? '127.0.0.1' : h;
}

/** Something accepts TCP connections here, whether or not it speaks the protocol we expect. */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: listenHost(host), port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Retries `attempt` until it resolves. `giveUp` is asked between attempts so that a server which
 * died while starting fails at once instead of after the whole timeout.
 */
export async function waitUntil(
  attempt: () => Promise<unknown>,
  opts: { timeoutMs: number; intervalMs?: number; giveUp?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (err) {
      last = err;
    }
    const reason = opts.giveUp?.();
    if (reason) throw new Error(reason);
    if (Date.now() >= deadline) {
      throw new Error(`no answer after ${Math.round(opts.timeoutMs / 1000)} s (last error: ${errorMessage(last)})`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

export function errorMessage(err: unknown): string {
  // Connection failures under happy-eyeballs arrive as an AggregateError with an empty message.
  if (err instanceof AggregateError && err.errors.length) return err.errors.map(errorMessage).join('; ');
  if (!(err instanceof Error)) return String(err);
  // fetch() reports every network failure as "fetch failed" and puts the reason in `cause`.
  const message = err.message || err.name;
  const cause = err.cause === undefined ? '' : errorMessage(err.cause);
  return cause && !message.includes(cause) ? `${message} (${cause})` : message;
}

/**
 * A loopback port nothing listens on (and, with alsoNext, the one after it too: Kafka's controller; or
 * that many after it: Redis's replicas), below the kernel's ephemeral range (32768 and up by default):
 * a port from that range is handed to outgoing connections too, and one can take it between this check
 * and the server's bind (seen with a cluster's nine servers starting on a busy machine).
 */
export async function freePort(alsoNext: boolean | number = false): Promise<number> {
  const following = alsoNext === true ? 1 : Number(alsoNext);
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    let free = await canListen(port);
    for (let i = 1; free && i <= following; i++) free = await canListen(port + i);
    if (free) return port;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
