import type { ApiError, EventApi, Heard } from './api.ts';

export interface ResultWatch {
  onStanding(s: Heard): void;
  /** The server refused the token, or says this person never applied. */
  onRefused(error: ApiError): void;
}

const POLL_FIRST_MS = 1_000;
const POLL_MAX_MS = 15_000;
const STREAM_FAILURES_BEFORE_POLLING = 3;

/**
 * The result, pushed: an EventSource on the stream, which sends the standing at once and the decision
 * when it is made. Only if the stream can't be had does the page ask GET .../status, backing off from
 * 1 s to 15 s (with jitter, so thousands of phones don't ask in step). Returns the function that stops.
 */
export function watchResult(api: EventApi, token: string, on: ResultWatch): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let source: EventSource | undefined;

  const stop = () => {
    stopped = true;
    source?.close();
    clearTimeout(timer);
  };
  const deliver = (s: Heard) => {
    if (stopped) return;
    on.onStanding(s);
    if (s.status !== 'PENDING') stop();
  };

  const poll = (delay: number) => {
    timer = setTimeout(
      async () => {
        if (stopped) return;
        const res = await api.status(token);
        if (stopped) return;
        if (res.ok) deliver(res.body);
        else if (res.status === 401 || res.status === 404) {
          stop();
          on.onRefused(res.error);
          return;
        }
        if (!stopped) poll(Math.min(POLL_MAX_MS, Math.max(POLL_FIRST_MS, delay * 2)));
      },
      delay * (0.8 + Math.random() * 0.4),
    );
  };

  if (typeof EventSource === 'undefined') {
    poll(POLL_FIRST_MS);
    return stop;
  }
  let failures = 0;
  source = new EventSource(api.streamUrl(token));
  source.addEventListener('standing', (e) => {
    failures = 0;
    deliver(JSON.parse((e as MessageEvent<string>).data) as Heard);
  });
  source.addEventListener('error', () => {
    if (stopped) return;
    // CLOSED: the server refused to open the stream (its reason is only in an HTTP answer); else the
    // browser is reconnecting by itself, which is fine unless it keeps failing.
    const refused = source!.readyState === EventSource.CLOSED;
    if (refused || ++failures >= STREAM_FAILURES_BEFORE_POLLING) {
      source!.close();
      poll(refused ? 0 : POLL_FIRST_MS);
    }
  });
  return stop;
}
