import { createServer } from 'node:http';
import Koa from 'koa';

/**
 * The ceiling: a trivial Koa POST handler in its own process, answering what terning answers, with
 * no work behind it. How fast this machine can answer HTTP at all with Node and Koa.
 */
const app = new Koa();
let ticket = 0;
app.use((ctx) => {
  if (ctx.method !== 'POST') {
    ctx.body = { ok: true };
    return;
  }
  ctx.status = 202;
  ctx.body = { status: 'PENDING', ticket: ++ticket, decidedAt: null };
});
const handle = app.callback();
const http = createServer((req, res) => void handle(req, res));
http.keepAliveTimeout = 5_000;
// The same accept backlog as terning's API (server/process.ts), so a burst meets the same kernel.
http.listen(Number(process.env.PORT), '127.0.0.1', Number(process.env.LISTEN_BACKLOG ?? 8_192));
