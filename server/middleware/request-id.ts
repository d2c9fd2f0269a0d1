import type { Context, Middleware } from 'koa';
import { randomUUID } from 'node:crypto';

const SAFE = /^[A-Za-z0-9._-]{1,64}$/;

/** The request's id, from the caller's X-Request-Id when it is sane, else a fresh one; not echoed yet. */
export function requestIdOf(ctx: Context): string {
  const given = ctx.req.headers['x-request-id'];
  const id = typeof given === 'string' && SAFE.test(given) ? given : randomUUID();
  ctx.state.requestId = id;
  return id;
}

/** The request's id, echoed back. */
export function stampRequestId(ctx: Context): void {
  ctx.res.setHeader('X-Request-Id', requestIdOf(ctx));
}

/** Every request carries an id. */
export function requestId(): Middleware {
  return (ctx, next) => {
    stampRequestId(ctx);
    return next();
  };
}
