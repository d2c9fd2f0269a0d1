import type { IncomingMessage } from 'node:http';
import type { Context, Middleware } from 'koa';
import { randomUUID } from 'node:crypto';

const SAFE = /^[A-Za-z0-9._-]{1,64}$/;

/** The request's id: the caller's X-Request-Id when it is sane, else a fresh one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE.test(given) ? given : randomUUID();
}

/** The request's id, kept in ctx.state.requestId and echoed back. */
export function stampRequestId(ctx: Context): void {
  ctx.state.requestId = requestIdOf(ctx.req);
  ctx.res.setHeader('X-Request-Id', ctx.state.requestId);
}

/** Every request carries an id. */
export function requestId(): Middleware {
  return (ctx, next) => {
    stampRequestId(ctx);
    return next();
  };
}
