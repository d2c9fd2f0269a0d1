import { connect, type Socket } from 'node:net';

/** What the harness asks of a watcher process, over IPC. */
export type WatcherCommand =
  | { type: 'open'; host: string; port: number; path: string; count: number; localAddress: string; inFlight: number }
  | { type: 'report' }
  | { type: 'close' };

/** When the watchers of one process received the frame of one remaining stock (epoch ms). */
export interface FrameSeen {
  remaining: number;
  watchers: number;
  first: number;
  last: number;
}

export interface WatcherReport {
  type: 'report';
  /** Streams that answered 200 and sent their first stock frame. */
  connected: number;
  /** Streams that could not be opened, and open ones that closed before the harness closed them. */
  failed: number;
  closedEarly: number;
  /** Open streams whose latest frame says sold out. */
  soldOut: number;
  frames: FrameSeen[];
  cpuMs: number;
  rssMb: number;
  errors: Record<string, number>;
}

const STOCK_FRAME = 'event: stock\ndata: ';
const OPEN_TIMEOUT_MS = 60_000;
const now = () => performance.timeOrigin + performance.now();

interface Stream {
  socket: Socket;
  buffer: string;
  soldOut: boolean;
  closed: boolean;
}

const streams: Stream[] = [];
const seen = new Map<number, FrameSeen>();
const errors: Record<string, number> = {};
let failed = 0;
let closedEarly = 0;
let closing = false;

function frameOf(json: string, s: Stream) {
  const stock = JSON.parse(json) as { remaining: number; soldOut: boolean };
  const t = now();
  const f = seen.get(stock.remaining);
  if (f) {
    f.watchers++;
    f.first = Math.min(f.first, t);
    f.last = Math.max(f.last, t);
  } else seen.set(stock.remaining, { remaining: stock.remaining, watchers: 1, first: t, last: t });
  s.soldOut = stock.soldOut;
}

/**
 * One stream on a raw socket, as a browser's EventSource opens it (HTTP/1.1, chunked): resolves at its
 * first stock frame. Frames are found by their text, whatever the chunks around them.
 */
function openOne(c: Extract<WatcherCommand, { type: 'open' }>): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: c.host, port: c.port, localAddress: c.localAddress });
    const s: Stream = { socket, buffer: '', soldOut: false, closed: false };
    let headers = false;
    let first = true;
    const timer = setTimeout(() => socket.destroy(new Error('no first frame in time')), OPEN_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`GET ${c.path} HTTP/1.1\r\nHost: ${c.host}\r\nAccept: text/event-stream\r\n\r\n`));
    socket.on('data', (chunk: string) => {
      s.buffer += chunk;
      if (!headers) {
        const end = s.buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!s.buffer.startsWith('HTTP/1.1 200')) return void socket.destroy(new Error(s.buffer.slice(0, 12)));
        headers = true;
        s.buffer = s.buffer.slice(end + 4);
      }
      for (;;) {
        const at = s.buffer.indexOf(STOCK_FRAME);
        if (at < 0) {
          s.buffer = s.buffer.slice(-STOCK_FRAME.length);
          return;
        }
        const eol = s.buffer.indexOf('\n', at + STOCK_FRAME.length);
        if (eol < 0) {
          s.buffer = s.buffer.slice(at);
          return;
        }
        frameOf(s.buffer.slice(at + STOCK_FRAME.length, eol), s);
        s.buffer = s.buffer.slice(eol + 1);
        if (first) {
          first = false;
          clearTimeout(timer);
          streams.push(s);
          resolve();
        }
      }
    });
    socket.once('error', (err) => {
      const key = (err as NodeJS.ErrnoException).code ?? err.message;
      errors[key] = (errors[key] ?? 0) + 1;
    });
    socket.once('close', () => {
      clearTimeout(timer);
      if (first) reject(new Error('closed before its first frame'));
      else if (!closing) closedEarly++;
      s.closed = true;
    });
  });
}

async function openAll(c: Extract<WatcherCommand, { type: 'open' }>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: c.inFlight }, async () => {
      while (next < c.count) {
        next++;
        await openOne(c).catch(() => failed++);
      }
    }),
  );
}

function report(): WatcherReport {
  const cpu = process.cpuUsage();
  let soldOut = 0;
  for (const s of streams) if (!s.closed && s.soldOut) soldOut++;
  return {
    type: 'report',
    connected: streams.length,
    failed,
    closedEarly,
    soldOut,
    frames: [...seen.values()],
    cpuMs: (cpu.user + cpu.system) / 1_000,
    rssMb: process.memoryUsage.rss() / 2 ** 20,
    errors,
  };
}

/**
 * A watcher process of `npm run bench -- --scenario watchers`: it holds its share of the stock streams
 * (fewer than its 20,000 open files) and notes when each frame reached its first and its last watcher.
 */
process.on('message', (c: WatcherCommand) => {
  if (c.type === 'open') void openAll(c).then(() => process.send!(report()));
  else if (c.type === 'report') process.send!(report());
  else {
    closing = true;
    for (const s of streams) s.socket.destroy();
    process.exit(0);
  }
});
