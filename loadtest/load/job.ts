import type { Target } from './http-exchange.ts';

/**
 * What the load generator is asked to do. A burst has every applicant press at the same moment (each
 * request's latency counts from then) over `connections` connections, connection i carrying requests
 * i, i + connections, ...: by default one at a time, the next when the answer is in, as a proxy in
 * front of the API (nginx's upstream keepalive) holds its clients' requests and passes them on;
 * `pipelined`, all written at once, so the API itself holds every request of the burst. A sustained run keeps
 * `connections` keep-alive connections busy with fresh requests until `durationMs` has passed or the
 * requests run out.
 */
export interface Job {
  mode: 'burst' | 'sustained';
  /** A burst's requests all written at once on their connection (HTTP pipelining). */
  pipelined?: boolean;
  /**
   * A burst's requests each on a connection of its own, opened for it and closed once answered, as
   * browsers arrive without a proxy; `connections` is then how many may be open at once.
   */
  fresh?: boolean;
  targets: Target[];
  /** Request i is `head + tokens[i] + tail`: the method, path and headers around the token. */
  head: string;
  tail: string;
  tokens: string[];
  connections: number;
  durationMs: number;
  timeoutMs: number;
}

/** Per request, in order of the tokens: ms since the run's start; status 0 = error, -1 = timeout, -2 = not sent. */
export interface JobResult {
  /** When latency counts from: a burst's press (0), or a sustained run's write. */
  start: Float64Array;
  /** When the request was handed to its connection: what arrival order can be told from. */
  wroteAt: Float64Array;
  end: Float64Array;
  status: Int16Array;
  errors: Record<string, number>;
  sent: number;
  startedAt: number;
  cpuMs: number;
}

/** The bytes around the token of an apply: a POST with no body, as the page sends it. */
export const applyRequest = (path: string) => ({
  head: `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer `,
  tail: '\r\nContent-Length: 0\r\n\r\n',
});
