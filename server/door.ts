import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { networkOf, type NetworkPrefixes } from '../core/use-cases/sign-in/network.ts';

/** What the door keeps of a connection: its client's network, how much of its answers the kernel had taken at the last look, and since when; what it had read at the last look of a drain. */
interface Watch {
  network: string;
  taken: number;
  since: number;
  read: number;
}

/** Node's own: the answer a connection is writing now, if any. */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

export interface DoorLimits {
  /** Open connections at once; past it a new one is closed as it arrives (Node's maxConnections). */
  maxConnections: number;
  /** Open connections at once from one client network, as the sign-in limits count networks (an IPv6 /64); 0: no cap, as behind a proxy. */
  maxConnectionsPerNetwork: number;
  writeStallMs: number;
}

/**
 * Every connection the API holds, counted and watched. What a connection may hold is bounded (its
 * headers by HTTP_MAX_HEADER_SIZE, its body by 4 KiB, its time by the headers and request timeouts),
 * and so is their number, in all and per client network: the memory a crowd can take is bounded by
 * design, whatever it sends. A connection past a cap is closed at once, before Node reads a byte of it.
 *
 * And watched: a client that stops reading its answers (a tiny receive window, pipelined requests
 * it never reads) leaves them in the process, and Node times out nothing while a write waits: the
 * connection and its memory would stay for as long as the client likes. Once a second the door looks
 * at how much of each connection's answers the kernel has taken (it takes more as the client reads,
 * a third of its send buffer at a time); a connection with answers waiting of which the kernel has
 * taken nothing more for `writeStallMs` is closed, as nginx's send_timeout does. A client that reads,
 * however slowly, keeps its connection.
 */
export class Door {
  private readonly open = new Map<Socket, Watch>();
  private readonly perNetwork = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  /** Once set, every answer closes its connection (Connection: close). */
  draining = false;

  constructor(
    private readonly http: Server,
    private readonly limits: DoorLimits,
    private readonly prefixes: NetworkPrefixes,
    everyMs = 1_000,
  ) {
    http.maxConnections = limits.maxConnections;
    // Ahead of Node's own listener: a connection closed here never gets a parser.
    http.prependListener('connection', (socket: Socket) => this.admit(socket));
    this.timer = setInterval(() => this.sweep(), everyMs).unref();
  }

  private admit(socket: Socket): void {
    const network = this.limits.maxConnectionsPerNetwork > 0 ? networkOf(socket.remoteAddress ?? '', this.prefixes) : '';
    const count = (this.perNetwork.get(network) ?? 0) + 1;
    if (network !== '' && count > this.limits.maxConnectionsPerNetwork) {
      socket.destroy();
      return;
    }
    this.perNetwork.set(network, count);
    this.open.set(socket, { network, taken: 0, since: performance.now(), read: 0 });
    socket.once('close', () => {
      this.open.delete(socket);
      const left = this.perNetwork.get(network)! - 1;
      if (left === 0) this.perNetwork.delete(network);
      else this.perNetwork.set(network, left);
    });
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

  /**
   * A drain, for a rolling deploy: stops taking connections and resets none that were taken. The
   * listener closes (a new connection is refused: a load balancer tries the next server); every
   * request that reached the process is answered, with Connection: close, and its connection then
   * closed; a connection idle after its answers is closed (nothing read since the last look, a
   * quarter second before); one that has sent nothing yet keeps until it does or its headers time
   * out. Resolves once every connection is closed, or after `graceMs`, when the rest are cut.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    for (const socket of this.open.keys()) {
      const answer = (socket as HttpSocket)._httpMessage;
      if (answer && !answer.headersSent) answer.shouldKeepAlive = false;
    }
    // net.Server's close: http.Server's would also close at once every connection without a request
    // in progress, those whose request is still on its way among them.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.http, () => resolve()));
    const idle = setInterval(() => this.closeIdle(), 250);
    const cut = setTimeout(() => this.http.closeAllConnections(), graceMs);
    await closed;
    clearInterval(idle);
    clearTimeout(cut);
  }

  private closeIdle(): void {
    for (const [socket, watch] of this.open) {
      const read = socket.bytesRead;
      if (read > 0 && read === watch.read && !(socket as HttpSocket)._httpMessage && socket.writableLength === 0) socket.destroy();
      watch.read = read;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
