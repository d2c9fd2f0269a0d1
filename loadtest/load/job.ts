import type { Target } from './http-exchange.ts';

/**
 * What the load generator is asked to do. A burst opens `connections` connections at once and writes
 * every request at once (connection i carries requests i, i + connections, ..., pipelined, as a proxy
 * in front of the API would multiplex its clients). A sustained run keeps
 * `connections` keep-alive connections busy with fresh requests until `durationMs` has passed or the
 * requests run out.
 */
export interface Job {
  mode: 'burst' | 'sustained';
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
  start: Float64Array;
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
