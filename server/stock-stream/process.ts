import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { Config } from '../../core/platform/config.ts';
import { createLogger, type Logger } from '../../core/platform/log.ts';
import { AppError, unavailable } from '../../core/platform/errors.ts';
import { openStores, type Stores } from '../../core/stores.ts';
import { StockWatch, type Watcher } from '../../core/use-cases/participant/stock-watch.ts';
import { publicEvent } from '../../core/use-cases/participant/event-view.ts';
import { networkOf } from '../../core/use-cases/sign-in/network.ts';
import { apiHeaderList } from '../middleware/security.ts';
import { bodyOf } from '../middleware/errors.ts';
import { readHead, type Wanted } from './request-head.ts';

/** A watcher whose client has not read this much of what was written to it is closed: it only ever needs the last frame. */
const MAX_UNREAD_BYTES = 16 * 1024;
/** The share of a core the frames' writing may take: this process does nothing else (the API gives it a fifth). */
export const STOCK_STREAM_FAN_OUT_SHARE = 0.8;
/** Connections on their way to a stream (their head unread, their event being read) beyond the watchers: past them all, Node closes a new one at once. */
export const CONNECTING_HEADROOM = 1_000;
/** How long stop() lets the watchers' last bytes go out before it cuts what is left. */
const CLOSE_GRACE_MS = 2_000;

/** One listener for every socket (not a closure each): an error, or bytes after the head, end the connection. */
function destroyIt(this: Socket): void {
  this.destroy();
}

/** A watcher: its socket, the event it watches, and nothing more. */
class StockSocket implements Watcher {
  constructor(
    readonly socket: Socket,
    readonly eventId: string,
  ) {}

  send(frame: Buffer): void {
    // A client that reads nothing is let go; one that reads gets the frames (only the last one matters).
    if (this.socket.writableLength > MAX_UNREAD_BYTES) this.socket.destroy();
    else this.socket.write(frame);
  }

  end(): void {
    this.socket.end();
  }
}

export interface StockStreamLimits {
  /** Watchers at once in this process; past it 503 STREAMS_FULL (the page goes on re-reading the event). */
  maxWatchers: number;
  /** Connections at once from one client network (0: no cap, as behind a proxy). */
  maxPerNetwork: number;
  headersTimeoutMs: number;
  maxHeaderSize: number;
}

/**
 * The stock stream process (`terning stock-stream`): the event's remaining stock, pushed to everyone
 * watching it, for a small fraction of what the API spends on a stream. It serves one thing, a GET of
 * `/api/events/:id/stream` (and `/api/event/stream`), the same frames as the API's route
 * (server/routes/stream.ts) from the same watch (core/use-cases/participant/stock-watch.ts), read
 * from the same Redis; nginx sends those paths here (deploy/nginx.conf).
 *
 * What makes it cheap is what it does not keep. The API holds each stream in Node's HTTP server and
 * Koa: a parser, a request, a response and a context, about 14 KB of heap. Here a watcher is its
 * socket and one entry in its event's set, about 1.4 KB: the request head is read once, checked
 * (request-head.ts), answered with a head written by hand, and then only frames go out, the same
 * buffer to every socket. The body ends with the connection (HTTP/1.1 allows it), so there is no
 * chunked framing to write per watcher either.
 */
export class StockStreamServer {
  private server?: Server;
  private stores?: Stores;
  private stock?: StockWatch;
  /** Every connection, and its watcher once it streams. */
  private readonly open = new Map<Socket, StockSocket | null>();
  private readonly perNetwork = new Map<string, number>();
  private streaming = 0;
  private stopping = false;
  readonly log: Logger;
  private readonly okHead: string;
  private readonly security: string;

  constructor(
    private readonly config: Config,
    private readonly limits: StockStreamLimits,
    log?: Logger,
  ) {
    this.log = log ?? createLogger('terning-stock-stream', config.logLevel);
    this.security = apiHeaderList({ production: config.env === 'production' })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    this.okHead =
      'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache, no-transform\r\n' +
      `X-Accel-Buffering: no\r\nConnection: close\r\n${this.security}\r\n`;
  }

  /** Watchers open now. */
  get watchers(): number {
    return this.streaming;
  }

  async start(port: number): Promise<{ url: string }> {
    const { config, log } = this;
    this.stores = openStores(config, log);
    const events = this.stores.events;
    this.stock = new StockWatch(
      async (id) => {
        const e = await events.snapshot(id, 'recent');
        return { remaining: e.remainingStock, total: e.totalStock, soldOut: e.totalStock > 0 && e.remainingStock === 0 };
      },
      (err, eventId) => log.warn({ err, eventId }, 'the stock could not be read for its watchers'),
      { fanOutShare: STOCK_STREAM_FAN_OUT_SHARE },
    );
    const server = (this.server = createServer({ noDelay: true }, (socket) => this.accept(socket)));
    // Bounded, whatever a crowd opens: what each connection holds is bounded by the head's size and time.
    server.maxConnections = this.limits.maxWatchers + CONNECTING_HEADROOM;
    // The listen backlog of the API: a crowd opening its streams at once is not reset.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: config.host, backlog: 8_192 }, () => resolve());
    });
    // Out of file descriptors, a connection can't be accepted: that one is lost, not the process.
    server.on('error', (err) => log.error({ err }, 'a connection could not be accepted'));
    const url = `http://${config.host}:${(server.address() as AddressInfo).port}`;
    log.info({ url, maxWatchers: this.limits.maxWatchers }, 'stock streams listening');
    return { url };
  }

  /** Takes no more connections, ends every stream (its EventSource reconnects elsewhere), then closes the stores. */
  async stop(): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.stock?.close();
    for (const [socket, watcher] of this.open) if (socket.writableLength === 0 && !watcher) socket.destroy();
    const cut = setTimeout(() => this.open.forEach((_, s) => s.destroy()), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(cut);
    await this.stores?.close();
    this.log.info('stock streams stopped');
  }

  private accept(socket: Socket): void {
    if (this.stopping) return void socket.destroy();
    const network = this.limits.maxPerNetwork > 0 ? networkOf(socket.remoteAddress ?? '', this.config.limits.networkPrefixes) : '';
    const count = (this.perNetwork.get(network) ?? 0) + 1;
    if (network !== '' && count > this.limits.maxPerNetwork) return void socket.destroy();
    this.perNetwork.set(network, count);
    this.open.set(socket, null);
    socket.once('close', () => {
      const watcher = this.open.get(socket);
      this.open.delete(socket);
      if (watcher) {
        this.streaming--;
        this.stock?.remove(watcher.eventId, watcher);
      }
      const left = this.perNetwork.get(network)! - 1;
      if (left === 0) this.perNetwork.delete(network);
      else this.perNetwork.set(network, left);
    });
    socket.on('error', destroyIt);
    this.readHeadOf(socket);
  }

  /**
   * Reads the request head, then lets go of everything it used (its closures, the timer, the bytes):
   * what a watcher keeps for hours is counted in bytes per 100,000.
   */
  private readHeadOf(socket: Socket): void {
    let head: Buffer | undefined;
    const done = () => {
      clearTimeout(late);
      socket.off('data', onData);
      socket.off('close', done);
      head = undefined;
    };
    const late = setTimeout(() => {
      done();
      this.refuse(socket, new AppError(408, 'REQUEST_TIMEOUT', 'the request took too long to arrive'));
    }, this.limits.headersTimeoutMs);
    const onData = (chunk: Buffer) => {
      const from = head ? Math.max(0, head.length - 3) : 0;
      const all = (head = head ? Buffer.concat([head, chunk]) : chunk);
      const end = all.indexOf('\r\n\r\n', from);
      if (end < 0 || end > this.limits.maxHeaderSize) {
        if (all.length <= this.limits.maxHeaderSize) return;
        done();
        return this.refuse(socket, new AppError(431, 'HEADERS_TOO_LARGE', 'the request headers are too large'));
      }
      done();
      let wanted: Wanted;
      try {
        wanted = readHead(all.subarray(0, end));
      } catch (e) {
        return this.refuse(socket, e as AppError);
      }
      void this.answer(socket, wanted);
    };
    socket.on('data', onData);
    socket.once('close', done);
  }

  private async answer(socket: Socket, wanted: Wanted): Promise<void> {
    // Anything more from a client is a request this process will not answer: it is not read.
    socket.pause();
    if ('health' in wanted) {
      const { heapUsed, heapTotal, rss } = process.memoryUsage();
      return this.reply(socket, 200, JSON.stringify({ status: 'ok', watchers: this.streaming, heapUsed, heapTotal, rss }));
    }
    let id: string;
    try {
      id = (await publicEvent(this.stores!.events, 'stream' in wanted ? wanted.stream : this.config.defaultEventId)).id;
    } catch (e) {
      if (!(e instanceof AppError)) this.log.warn({ err: e }, 'an event could not be read for a stock stream');
      return this.refuse(socket, e instanceof AppError ? e : unavailable('STATE_UNAVAILABLE', 'the event cannot be read now; try again'));
    }
    if (socket.destroyed || this.stopping) return void socket.destroy();
    if (this.streaming >= this.limits.maxWatchers)
      return this.refuse(
        socket,
        unavailable('STREAMS_FULL', 'this server holds all the stock streams it can; the page re-reads the event instead', 30),
      );
    this.streaming++;
    socket.setKeepAlive(true, 60_000);
    // Reconnects after a restart are spread over a few seconds instead of landing all at once.
    socket.write(`${this.okHead}retry: ${2_000 + Math.floor(Math.random() * 3_000)}\n\n`);
    const watcher = new StockSocket(socket, id);
    this.open.set(socket, watcher);
    this.stock!.add(id, watcher);
    // A client's FIN ends the stream (the socket closes itself, allowHalfOpen being off): read on.
    socket.resume();
    socket.on('data', destroyIt);
  }

  private refuse(socket: Socket, err: AppError): void {
    this.reply(socket, err.status, bodyOf(err), err.headers);
  }

  private reply(socket: Socket, status: number, body: string, headers: Record<string, string> = {}): void {
    if (socket.destroyed) return;
    const extra = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extra}${this.security}\r\n${body}`,
    );
    socket.destroySoon();
  }
}
