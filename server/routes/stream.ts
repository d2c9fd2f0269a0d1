import type Router from '@koa/router';
import type { Context } from 'koa';
import { PassThrough } from 'node:stream';
import { unauthorized } from '../../core/platform/errors.ts';
import type { Standing } from '../../core/domain/decision.ts';
import { watchStanding } from '../../core/use-cases/participant/standing-watch.ts';
import { personOf } from '../../core/use-cases/participant/identity.ts';
import { newRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';
import { eventIdOf } from './event-param.ts';
import { TOKEN } from '../middleware/auth.ts';
import { publicEvent } from '../../core/use-cases/participant/event-view.ts';
import { ErrorCode } from '../../core/domain/errors.ts';
import { HEARTBEAT_MS } from '../../core/use-cases/participant/stock-watch.ts';

/**
 * The token of a stream: EventSource can't send headers, so the page puts it in `?access_token=` on
 * the stream URLs only (never logged: the logs carry ctx.path, not the query). Other clients may use
 * the Authorization header as on every other call.
 */
function streamToken(ctx: Context): string {
  const header = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];
  const query = ctx.query.access_token;
  const token = header ?? (typeof query === 'string' ? query : undefined);
  if (!token) throw unauthorized(ErrorCode.TOKEN_MISSING, 'send the token as ?access_token=<token> (or "Authorization: Bearer <token>")');
  if (!TOKEN.test(token)) throw unauthorized(ErrorCode.TOKEN_INVALID, 'the token is not valid');
  return token;
}

const frame = ({ status, ticket, decidedAt, receipt }: Standing) =>
  `event: standing\ndata: ${JSON.stringify({ status, ticket, decidedAt, receipt })}\n\n`;

/**
 * The result, pushed (core/use-cases/participant/standing-watch.ts): Server-Sent Events that send the
 * standing at once, a comment every 15 s, and end once it is WON. Errors before the stream opens (no
 * token, not applied) are answered in the one error shape.
 */
export function streamRoutes({ applications, tokens, config, limits, feed, stock, events }: ServerDeps): Router {
  const r = newRouter('/api');
  const idOf = eventIdOf(config);

  const stream = async (ctx: Context) => {
    const person = personOf(tokens.verify(streamToken(ctx)));
    const id = idOf(ctx);
    limits.status(person);

    const watch = await watchStanding({ applications, feed }, id, person);

    const out = new PassThrough();
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.status = 200;
    ctx.type = 'text/event-stream';
    ctx.set({ 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' });
    ctx.body = out;
    // Reconnects after a restart are spread over a few seconds instead of landing all at once.
    out.write(`retry: ${2_000 + Math.floor(Math.random() * 3_000)}\n\n`);
    const heartbeat = setInterval(() => out.write(': heartbeat\n\n'), HEARTBEAT_MS);
    out.once('close', () => {
      clearInterval(heartbeat);
      watch.stop();
    });
    ctx.res.once('close', () => out.destroy());
    if (watch.first.status !== 'PENDING') {
      out.end(frame(watch.first));
      return;
    }
    out.write(frame(watch.first));
    void watch.final
      .then((s) => (s ? applications.seal(id, person, s) : null))
      .then(
        (s) => (s ? out.end(frame(s)) : out.end()),
        () => out.end(),
      );
  };

  /**
   * The event's remaining stock, for anyone (no token): a frame at once, then each change, a few a
   * second at most, and its heartbeat (core/use-cases/participant/stock-watch.ts). Written straight to
   * the response: a frame is one buffer written to each watcher, nothing more. The server's stop ends
   * them. At scale, the stock stream process serves them for far less (server/stock-stream/).
   */
  const stockStream = async (ctx: Context) => {
    const id = (await publicEvent(events, idOf(ctx))).id;
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.respond = false;
    const res = ctx.res;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${2_000 + Math.floor(Math.random() * 3_000)}\n\n`);
    const stop = stock.watch(
      id,
      (frame) => res.write(frame),
      () => res.end(),
    );
    res.once('close', stop);
  };

  r.get('/event/status/stream', stream);
  r.get('/event/stream', stockStream);
  r.get('/events/:eventId/stream', stockStream);
  r.get('/events/:eventId/status/stream', stream);
  return r;
}
