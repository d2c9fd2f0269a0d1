import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** What the door keeps of a connection: how much of its answer was waiting at the last look, and since when. */
interface Watch { queued: number; since: number }

/**
 * Every connection the API holds, watched. A client that stops reading its answers (a tiny receive
 * window, pipelined requests it never reads) leaves the answer in the process, and Node times out
 * nothing while a write waits: the connection, its memory and its pipelined requests would stay for
 * as long as the client likes. Once a second the door looks at what each connection has waiting to go
 * out (libuv's write queue, which shrinks as the client reads); a connection whose queue has not
 * shrunk for `writeStallMs` is closed. A client that reads, however slowly, keeps its connection.
 */
export class Door {
  private readonly open = new Map<Socket, Watch>();
  private readonly timer: NodeJS.Timeout;

  constructor(http: Server, private readonly limits: { writeStallMs: number }, everyMs = 1_000) {
    http.on('connection', (socket: Socket) => this.admit(socket));
    this.timer = setInterval(() => this.sweep(), everyMs).unref();
  }

  private admit(socket: Socket): void {
    this.open.set(socket, { queued: 0, since: performance.now() });
    socket.once('close', () => this.open.delete(socket));
  }

  private sweep(): void {
    const now = performance.now();
    for (const [socket, watch] of this.open) {
      const queued = (socket as Socket & { _handle?: { writeQueueSize?: number } })._handle?.writeQueueSize ?? 0;
      if (queued === 0 || queued < watch.queued) {
        watch.queued = queued;
        watch.since = now;
      } else if (now - watch.since >= this.limits.writeStallMs) {
        socket.destroy();
      } else {
        watch.queued = queued;
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
