/** One Server-Sent Events frame: its event name (if any), data, and whether it was a comment. */
export interface Frame {
  event?: string;
  data?: string;
  comment?: string;
  retry?: number;
}

/** An open SSE connection read with fetch: frames arrive in order; next() waits for the next one. */
export interface EventStream {
  status: number;
  headers: Headers;
  /** The error body when the server refused to open the stream. */
  body?: any;
  next(timeoutMs?: number): Promise<Frame | null>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: abort.signal });
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep the text */
    }
    return { status: res.status, headers: res.headers, body, next: async () => null, close: () => {} };
  }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let ended = false;
  const frames: Frame[] = [];
  const pump = async (): Promise<void> => {
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      return;
    }
    buffer += value;
    let at;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const frame: Frame = {};
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(':');
        const value = rest.join(':').replace(/^ /, '');
        if (field === '') frame.comment = value;
        else if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
        else if (field === 'retry') frame.retry = Number(value);
      }
      frames.push(frame);
    }
  };
  return {
    status: res.status,
    headers: res.headers,
    async next(timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (frames.length === 0) {
        if (ended) return null;
        const left = until - Date.now();
        if (left <= 0) throw new Error('no frame arrived in time');
        await Promise.race([pump(), new Promise((r) => setTimeout(r, left))]);
      }
      return frames.shift()!;
    },
    close: () => abort.abort(),
  };
}

/** The next frame that is not a comment or a retry hint: the standing it carries. */
export async function nextStanding(s: EventStream, timeoutMs?: number): Promise<any | null> {
  for (;;) {
    const f = await s.next(timeoutMs);
    if (f === null) return null;
    if (f.event === 'standing') return JSON.parse(f.data!);
  }
}

/** The next stock frame of an event's stock stream, comments and retry hints skipped; null once it ends. */
export async function nextStock(
  s: EventStream,
  timeoutMs = 10_000,
): Promise<{ remaining: number; total: number; soldOut: boolean } | null> {
  for (;;) {
    const f = await s.next(timeoutMs);
    if (f === null) return null;
    if (f.event === 'stock') return JSON.parse(f.data!) as { remaining: number; total: number; soldOut: boolean };
  }
}
