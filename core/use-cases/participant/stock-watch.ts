/** What the page shows of an event's stock while people wait: how many gifts are left. */
export interface Stock {
  remaining: number;
  total: number;
  soldOut: boolean;
}

/** The fewest milliseconds between two reads of one event's stock: a few updates a second, at most. */
export const STOCK_EVERY_MS = 250;
/** Writing a frame to every watcher may take at most this share of the time between two frames. */
const FAN_OUT_SHARE = 0.2;

interface Watcher {
  send(frame: string): void;
  end(): void;
}

interface Watched {
  watchers: Set<Watcher>;
  frame?: string;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The remaining stock, pushed to everyone watching an event (the page's stock stream). Each process
 * reads an event's stock once per turn, whatever the number of watchers, and only while someone
 * watches; a changed stock becomes one frame, made once and written to each. The turn stretches when
 * the writing gets long (tens of thousands of watchers), so the fan-out takes at most a fifth of a
 * core.
 */
export class StockWatch {
  private readonly events = new Map<string, Watched>();
  /** The last fan-out: watchers written and how long it took, for the metrics and the benchmark. */
  lastFanOut = { watchers: 0, ms: 0 };

  constructor(
    private readonly read: (eventId: string) => Promise<Stock>,
    private readonly onError: (err: unknown, eventId: string) => void = () => {},
  ) {}

  /**
   * `send` gets the current frame at once when known, then every change; `end` is called when the
   * watch closes (the server stops). The function returned stops it.
   */
  watch(eventId: string, send: (frame: string) => void, end: () => void = () => {}): () => void {
    let w = this.events.get(eventId);
    if (!w) {
      this.events.set(eventId, (w = { watchers: new Set() }));
      this.turn(eventId, w);
    }
    const watched = w;
    const watcher = { send, end };
    watched.watchers.add(watcher);
    if (watched.frame) send(watched.frame);
    return () => {
      watched.watchers.delete(watcher);
      if (watched.watchers.size === 0) {
        clearTimeout(watched.timer);
        if (this.events.get(eventId) === watched) this.events.delete(eventId);
      }
    };
  }

  get watchers(): number {
    let n = 0;
    for (const w of this.events.values()) n += w.watchers.size;
    return n;
  }

  /** Ends every watch (the server stops): each watcher's `end`, and nothing more is sent. */
  close(): void {
    const all = [...this.events.values()];
    this.events.clear();
    for (const w of all) {
      clearTimeout(w.timer);
      for (const watcher of w.watchers) watcher.end();
    }
  }

  private turn(eventId: string, w: Watched): void {
    void this.read(eventId)
      .then(
        (stock) => {
          const frame = `event: stock\ndata: ${JSON.stringify(stock)}\n\n`;
          if (frame === w.frame) return 0;
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
        w.timer = setTimeout(() => this.turn(eventId, w), Math.max(STOCK_EVERY_MS, ms / FAN_OUT_SHARE));
      });
  }
}
