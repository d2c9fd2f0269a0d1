import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/**
 * First come, first served inside the API too: at most `concurrency` requests run through the app at
 * once and the rest wait in arrival order, holding only their request and response objects (and
 * reading no more of their connection). A herd of 20,000 then costs the memory of a queue instead of
 * 20,000 requests half-way through auth, Redis and Kafka, and the earliest are answered first.
 *
 * Only requests that arrived whole wait here: no body (apply, status, the page). A request with a body
 * could hold a place while its client trickles the body in, and an event stream (Accept:
 * text/event-stream) lives as long as the page is open; both go straight to the app.
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
  const waits = (req: IncomingMessage) =>
    req.headers.accept !== 'text/event-stream' && !req.headers['transfer-encoding'] && !Number(req.headers['content-length'] ?? 0);

  return (req, res) => {
    if (!waits(req)) return handler(req, res);
    if (running < concurrency) return start(req, res);
    req.socket.pause();
    waiting.push([req, res]);
  };
}
