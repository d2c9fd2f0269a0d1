import { connect, type Socket } from 'node:net';

export interface Target {
  host: string;
  port: number;
}

/** The outcome of one request: times in ms since the run's start; status 0 = error, -1 = timeout. */
export interface Outcome {
  start: number;
  end: number;
  status: number;
  error?: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;
const CHUNKED = /\r\ntransfer-encoding:\s*chunked/i;
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** How many bytes the response in `buf` takes, or 0 when it is not complete yet. */
function responseLength(buf: Buffer): number {
  const headEnd = buf.indexOf(HEADER_END);
  if (headEnd < 0) return 0;
  const head = buf.toString('latin1', 0, headEnd);
  const bodyStart = headEnd + 4;
  const length = CONTENT_LENGTH.exec(head);
  if (length) {
    const total = bodyStart + Number(length[1]);
    return buf.length >= total ? total : 0;
  }
  if (CHUNKED.test(head)) {
    const last = buf.indexOf(LAST_CHUNK, bodyStart);
    return last < 0 ? 0 : last + LAST_CHUNK.length;
  }
  return bodyStart;
}

/**
 * One keep-alive HTTP/1.1 connection on a raw socket: it writes prepared request bytes and reads just
 * enough of the answer to know its status and where it ends. Far cheaper than a general client, so
 * the load generator costs the 2-core machine as little as it can.
 */
export class Exchange {
  private socket?: Socket;
  private buf: Buffer = Buffer.alloc(0);
  /** Requests written and not answered yet, oldest first (HTTP/1.1 answers in order). */
  private waiting: { start: number; resolve: (o: Outcome) => void; timer: NodeJS.Timeout }[] = [];

  constructor(
    private readonly target: Target,
    private readonly clock: () => number,
    private readonly timeoutMs: number,
  ) {}

  /** Writes the request at once, even while earlier ones on this connection wait (pipelining). */
  send(request: Buffer): Promise<Outcome> {
    return new Promise((resolve) => {
      const start = this.clock();
      const timer = setTimeout(() => this.fail(-1, 'timeout'), this.timeoutMs);
      this.waiting.push({ start, resolve, timer });
      if (!this.socket || this.socket.destroyed) this.open();
      this.socket!.write(request);
    });
  }

  close() {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open() {
    const socket = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    this.buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      for (;;) {
        const length = responseLength(this.buf);
        if (length === 0 || this.waiting.length === 0) return;
        const status = Number(this.buf.toString('latin1', 9, 12));
        this.buf = this.buf.subarray(length);
        this.settle({ status });
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.fail(0, e.code ?? e.message));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.fail(0, 'closed');
    });
    this.socket = socket;
  }

  /** A broken connection fails every request still waiting on it. */
  private fail(status: number, error: string) {
    if (this.waiting.length === 0) return;
    this.close();
    while (this.waiting.length) this.settle({ status, error });
  }

  private settle(r: { status: number; error?: string }) {
    const p = this.waiting.shift()!;
    clearTimeout(p.timer);
    p.resolve({ start: p.start, end: this.clock(), ...r });
  }
}
