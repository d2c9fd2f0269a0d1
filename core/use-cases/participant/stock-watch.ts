/** What the page shows of an event's stock while people wait: how many gifts are left. */
export interface Stock {
  remaining: number;
  total: number;
  soldOut: boolean;
}

/** The fewest milliseconds between two reads of one event's stock: a few updates a second, at most. */
export const STOCK_EVERY_MS = 250;
/**
 * Writing a frame to every watcher may take at most this share of the time between two frames: in the
 * API, which has applies to answer; the stock stream process, which has nothing else to do, gives it more.
 */
export const FAN_OUT_SHARE = 0.2;
/** A comment to every watcher this often: proxies keep an idle stream open, and a dead client is found. */
export const HEARTBEAT_MS = 15_000;
const HEARTBEAT = Buffer.from(': heartbeat\n\n');

export interface Watcher {
  send(frame: Buffer): void;
  end(): void;
}

interface Watched {
  watchers: Set<Watcher>;
  frame?: Buffer;
  /** The JSON of the last frame, to tell a change. */
  stock?: string;
  timer?: ReturnType<typeof setTimeout>;
  heartbeat: ReturnType<typeof setInterval>;
}

/**
 * The remaining stock, pushed to everyone watching an event (the page's stock stream). Each process
 * reads an event's stock once per turn, whatever the number of watchers, and only while someone
 * watches; a changed stock becomes one frame, made once (one buffer) and written to each. The turn
 * stretches when the writing gets long (tens of thousands of watchers), so the fan-out takes at most
 * `fanOutShare` of a core (a fifth in the API). One heartbeat timer per event, not per watcher: a watcher is its `send` and `end`.
 */
export class StockWatch {
  private readonly events = new Map<string, Watched>();
  /** The last fan-out: watchers written and how long it took, for the metrics and the benchmark. */
  lastFanOut = { watchers: 0, ms: 0 };

  constructor(
    private readonly read: (eventId: string) => Promise<Stock>,
    private readonly onError: (err: unknown, eventId: string) => void = () => {},
    private readonly opts: { heartbeatMs?: number; fanOutShare?: number } = {},
  ) {}

  /**
   * `send` gets the current frame at once when known, then every change; `end` is called when the
   * watch closes (the server stops). The function returned stops it.
   */
  watch(eventId: string, send: (frame: Buffer) => void, end: () => void = () => {}): () => void {
    const watcher = { send, end };
    this.add(eventId, watcher);
    return () => this.remove(eventId, watcher);
  }

  /** watch() for a watcher that is an object already (the stock stream process's sockets): nothing more is made for it. */
  add(eventId: string, watcher: Watcher): void {
    // Closed (the server drains): a stream asked for now ends at once, with nothing started for it.
    if (this.closed) return watcher.end();
    let w = this.events.get(eventId);
    if (!w) {
      const watchers = new Set<Watcher>();
      const heartbeat = setInterval(() => {
        for (const each of watchers) each.send(HEARTBEAT);
      }, this.opts.heartbeatMs ?? HEARTBEAT_MS);
      this.events.set(eventId, (w = { watchers, heartbeat }));
      this.turn(eventId, w);
    }
    w.watchers.add(watcher);
    if (w.frame) watcher.send(w.frame);
  }

  remove(eventId: string, watcher: Watcher): void {
    const w = this.events.get(eventId);
    if (!w?.watchers.delete(watcher) || w.watchers.size > 0) return;
    clearTimeout(w.timer);
    clearInterval(w.heartbeat);
    this.events.delete(eventId);
  }

  get watchers(): number {
    let n = 0;
    for (const w of this.events.values()) n += w.watchers.size;
    return n;
  }

  private closed = false;

  /** Ends every watch (the server stops): each watcher's `end`, nothing more is sent, and no new watch starts. */
  close(): void {
    this.closed = true;
    const all = [...this.events.values()];
    this.events.clear();
    for (const w of all) {
      clearTimeout(w.timer);
      clearInterval(w.heartbeat);
      for (const watcher of w.watchers) watcher.end();
    }
  }

  private turn(eventId: string, w: Watched): void {
    void this.read(eventId)
      .then(
        (stock) => {
          // Closed (or its last watcher gone) while the read was under way: an ended watcher gets nothing more.
          if (this.events.get(eventId) !== w) return 0;
          const json = JSON.stringify(stock);
          if (json === w.stock) return 0;
          const frame = Buffer.from(`event: stock\ndata: ${json}\n\n`);
          w.stock = json;
          w.frame = frame;
          const started = performance.now();
          for (const watcher of w.watchers) watcher.send(frame);
          const ms = performance.now() - started;
          this.lastFanOut = { watchers: w.watchers.size, ms };
          return ms;
        },
        (err) => {
          this.onError(err, eventId);
          return 0;
        },
      )
      .then((ms) => {
        if (this.events.get(eventId) !== w) return;
        w.timer = setTimeout(() => this.turn(eventId, w), Math.max(STOCK_EVERY_MS, ms / (this.opts.fanOutShare ?? FAN_OUT_SHARE)));
      });
  }
}
