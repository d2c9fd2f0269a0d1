import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { unavailable } from '../../core/platform/errors.ts';
import { bodyOf } from '../middleware/errors.ts';
import { requestIdOf } from '../middleware/request-id.ts';
import { apiHeaderList } from '../middleware/security.ts';
import { jsonHead } from './json-head.ts';

/** The app's request listener: Koa's settles once the app has handed its answer to Node. */
export type AppListener = (req: IncomingMessage, res: ServerResponse) => Promise<unknown>;

export interface AdmissionLimits {
  concurrency: number;
  queueLimit: number;
  /** Requests that skip the turn a connection may have waiting behind its one in the app (HTTP_MAX_PIPELINED). */
  maxPipelined: number;
  production: boolean;
}

/** A connection's requests that skip the turn: the one in the app, and those pipelined behind it. */
interface Lane {
  busy: boolean;
  waiting: [IncomingMessage, ServerResponse][];
}

/**
 * Step 2 of the apply path (path.ts), and the one step of every other request too (the admin
 * surface's included). First come, first served inside the API too: at most `concurrency` requests run through the app at
 * once and the rest wait in arrival order, holding only their request and response objects (and
 * reading no more of their connection). A herd of 20,000 then costs the memory of a queue instead of
 * 20,000 requests half-way through auth, Redis and Kafka, and the earliest are answered first.
 *
 * A place is the app's work, and is given back once the app has handed its answer to Node, not when
 * the client has read it: a client that never reads its answers holds no place (server/door.ts closes
 * its connection).
 *
 * The queue is bounded (`queueLimit`): a waiting request holds its headers (up to HTTP_MAX_HEADER_SIZE),
 * so a crowd that would outgrow the memory is told 503 SERVICE_BUSY with Retry-After instead, at once.
 *
 * Only requests that arrived whole wait here: no body (apply, status, the page). A request with a body
 * could hold a place while its client trickles the body in, and a result stream (…/status/stream)
 * lives as long as the page is open; both go straight to the app. So do the platform's requests
 * (`skips`): health, readiness and metrics probes, and the operator's, never wait behind a herd.
 *
 * Those that skip the turn take their connection's turn instead: one at a time per connection, as
 * HTTP/1.1 answers them anyway (in order). Node parses every request of a chunk it reads (64 KiB: a
 * thousand small pipelined POSTs) and hands each to the app at once; one connection could put any
 * number of sign-ins or probes into the app together. A request pipelined behind one still in the app
 * waits, its connection read no further, and past `maxPipelined` waiting the connection is closed: no
 * browser or proxy pipelines (RFC 9112 9.3.2: not after a POST), and what one connection holds stays bounded.
 */
export function admission(handler: AppListener, limits: AdmissionLimits, skips: (req: IncomingMessage) => boolean): RequestListener {
  const { concurrency, queueLimit, maxPipelined } = limits;
  const lanes = new WeakMap<Socket, Lane>();
  const busy = busyAnswer(limits.production);
  let running = 0;
  // A slot is emptied as its request is taken: the array must not keep an answered request (its
  // socket's parser, headers and response) alive until the queue is compacted, promoted to old space
  // by then. Under a big drop that was ~4,000 answered requests held (a heap snapshot), the old
  // space's largest share.
  let waiting: ([IncomingMessage, ServerResponse] | undefined)[] = [];
  let head = 0;

  const start = (req: IncomingMessage, res: ServerResponse) => {
    running++;
    handler(req, res).then(done, done);
  };
  function done() {
    running--;
    while (running < concurrency && head < waiting.length) {
      const [req, res] = waiting[head]!;
      waiting[head] = undefined;
      head++;
      if (head === waiting.length || head > 4096) {
        waiting = waiting.slice(head);
        head = 0;
      }
      if (req.destroyed) continue;
      req.socket.resume();
      start(req, res);
    }
  }
  const waits = (req: IncomingMessage) =>
    !isStream(req.url ?? '') && !req.headers['transfer-encoding'] && !Number(req.headers['content-length'] ?? 0) && !skips(req);

  /** A request that skips the turn, in its connection's turn. */
  const inLane = (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    let lane = lanes.get(socket);
    if (!lane) lanes.set(socket, (lane = { busy: false, waiting: [] }));
    if (!lane.busy) return run(lane, req, res);
    if (lane.waiting.length >= maxPipelined) return void socket.destroy();
    socket.pause();
    lane.waiting.push([req, res]);
  };
  const run = (lane: Lane, req: IncomingMessage, res: ServerResponse) => {
    lane.busy = true;
    const next = () => {
      lane.busy = false;
      const waiting = lane.waiting.shift();
      if (!waiting) return;
      if (lane.waiting.length === 0) req.socket.resume();
      if (waiting[0].destroyed) return next();
      run(lane, ...waiting);
    };
    handler(req, res).then(next, next);
  };

  return (req, res) => {
    if (!waits(req)) return inLane(req, res);
    if (running < concurrency) return start(req, res);
    if (waiting.length - head >= queueLimit) return busy(req, res);
    req.socket.pause();
    waiting.push([req, res]);
  };
}

/** 503 SERVICE_BUSY in the one error shape, from a head and a body made once. */
function busyAnswer(production: boolean): (req: IncomingMessage, res: ServerResponse) => void {
  const refusal = unavailable('SERVICE_BUSY', 'too many requests are waiting; try again in a few seconds', 5);
  const body = bodyOf(refusal);
  const head = jsonHead(apiHeaderList({ production }).flat(), refusal.headers, body);
  return (req, res) => {
    head[head.length - 1] = requestIdOf(req);
    res.writeHead(refusal.status, head);
    res.end(body);
  };
}

const QUESTION_MARK = 63; // '?', where a query begins

/** The path of a request's URL is `path`, with or without a query; read in place. */
export const pathIs = (url: string, path: string): boolean =>
  url.startsWith(path) && (url.length === path.length || url.charCodeAt(path.length) === QUESTION_MARK);

// Streams are known by their path, not by a header a client may word differently: a stream taking
// a place would hold it for as long as the page stays open.
const isStream = (url: string): boolean => {
  const query = url.indexOf('?');
  return url.endsWith('/status/stream', query < 0 ? url.length : query);
};

/** The platform's requests: probes by their path, the operator's by a valid X-ADMIN-KEY. */
export function platformRequests(holdsAdminKey: (given: string | string[] | undefined) => boolean): (req: IncomingMessage) => boolean {
  return (req) => {
    const url = req.url ?? '';
    if (pathIs(url, '/healthz') || pathIs(url, '/readyz') || pathIs(url, '/metrics')) return true;
    const key = req.headers['x-admin-key'];
    return key !== undefined && holdsAdminKey(key);
  };
}
