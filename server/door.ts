import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** What the door keeps of a connection: how much of its answers the kernel had taken at the last look, and since when. */
interface Watch { taken: number; since: number }

/**
 * Every connection the API holds, watched. A client that stops reading its answers (a tiny receive
 * window, pipelined requests it never reads) leaves them in the process, and Node times out nothing
 * while a write waits: the connection and its memory would stay for as long as the client likes.
 * Once a second the door looks at how much of each connection's answers the kernel has taken (it
 * takes more as the client reads, a third of its send buffer at a time); a connection with answers
 * waiting of which the kernel has taken nothing more for `writeStallMs` is closed, as nginx's
 * send_timeout does. A client that reads, however slowly, keeps its connection.
 */
export class Door {
  private readonly open = new Map<Socket, Watch>();
  private readonly timer: NodeJS.Timeout;

  constructor(http: Server, private readonly limits: { writeStallMs: number }, everyMs = 1_000) {
    http.on('connection', (socket: Socket) => this.admit(socket));
    this.timer = setInterval(() => this.sweep(), everyMs).unref();
  }

  private admit(socket: Socket): void {
    this.open.set(socket, { taken: 0, since: performance.now() });
    socket.once('close', () => this.open.delete(socket));
  }

  private sweep(): void {
    const now = performance.now();
    for (const [socket, watch] of this.open) {
      if (socket.writableLength === 0) {
        watch.since = now;
        continue;
      }
      // Written is what was handed to the socket, waiting is what the kernel has not taken yet.
      const taken = socket.bytesWritten - socket.writableLength;
      if (taken !== watch.taken) {
        watch.taken = taken;
        watch.since = now;
      } else if (now - watch.since >= this.limits.writeStallMs) {
        socket.destroy();
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
