import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/**
 * First come, first served inside the API too: at most `concurrency` requests run through the app at
 * once and the rest wait in arrival order, holding only their request and response objects (and
 * reading no more of their connection). A herd of 20,000 then costs the memory of a queue instead of
 * 20,000 requests half-way through auth, Redis and Kafka, and the earliest are answered first.
 *
 * Only requests that arrived whole wait here: no body (apply, status, the page). A request with a body
 * could hold a place while its client trickles the body in, and a result stream (…/status/stream)
 * lives as long as the page is open; both go straight to the app.
 */
export function admission(handler: RequestListener, concurrency: number): RequestListener {
  let running = 0;
  let waiting: [IncomingMessage, ServerResponse][] = [];
  let head = 0;

  const start = (req: IncomingMessage, res: ServerResponse) => {
    running++;
    res.once('close', done);
    handler(req, res);
  };
  function done() {
    running--;
    while (running < concurrency && head < waiting.length) {
      const [req, res] = waiting[head]!;
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
  // Streams are known by their path, not by a header a client may word differently: a stream taking
  // a place would hold it for as long as the page stays open.
  const isStream = (req: IncomingMessage) => (req.url ?? '').split('?', 1)[0]!.endsWith('/status/stream');
  const waits = (req: IncomingMessage) =>
    !isStream(req) && !req.headers['transfer-encoding'] && !Number(req.headers['content-length'] ?? 0);

  return (req, res) => {
    if (!waits(req)) return handler(req, res);
    if (running < concurrency) return start(req, res);
    req.socket.pause();
    waiting.push([req, res]);
  };
}
