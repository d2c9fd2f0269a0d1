import type { Context, Middleware } from 'koa';
import type { ServerResponse } from 'node:http';
import { authenticate } from '../middleware/auth.ts';
import { requestIdOf } from '../middleware/request-id.ts';
import { apiHeaderList } from '../middleware/security.ts';
import { bodyOf } from '../middleware/errors.ts';
import { applyHandler, type ApplyRoute } from './apply.ts';
import type { AppError } from '../../core/errors.ts';
import type { ServerDeps } from '../deps.ts';

/** The apply paths, as spelled: a path that matches is canonical by construction. */
const APPLY = /^\/api\/(?:event|events\/([a-z0-9][a-z0-9-]{0,63}))\/apply$/;

/**
 * The apply call, ahead of the chain. In a herd nearly every request is an apply, and once the gifts
 * are gone most are answered from memory (core/sold-out-board.ts): the chain's steps for every other
 * call (path checks, the body reader, CORS, the routers' matching) would then be most of what an
 * answer costs. This lane takes only an apply that needs none of them: POST on an apply path as spelled,
 * no body, no Origin, and runs the route's own handler; anything else, an apply that doesn't fit
 * included, goes the long way. It answers with what the chain would: the request id, the security
 * headers with the API's CSP, refusals in the one shape (by the error handler before it).
 *
 * A SOLD_OUT known without Redis is the same answer for everyone but its request id, so it is written
 * whole, in one call, from headers and a body prepared once (Koa's response handling is bypassed for
 * it: setting fifteen headers one by one was a third of what the answer cost).
 */
export function applyLane(deps: ServerDeps): Middleware {
  const headers = apiHeaderList({ production: deps.config.env === 'production' });
  const setHeaders = (ctx: Context) => {
    const res = ctx.res;
    for (let i = 0; i < headers.length; i++) res.setHeader(headers[i]![0], headers[i]![1]);
    res.setHeader('X-Request-Id', ctx.state.requestId);
  };
  const fixed = new Map<AppError, { head: string[]; body: string }>();
  const writeWhole = (ctx: Context, refusal: AppError) => {
    let answer = fixed.get(refusal);
    if (answer === undefined) {
      const body = bodyOf(refusal);
      const head = [...headers.flat(), ...Object.entries(refusal.headers ?? {}).flat(),
        'Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)), 'X-Request-Id', ''];
      fixed.set(refusal, (answer = { head, body }));
    }
    // The one header that differs, set in place: writeHead copies the list at once.
    answer.head[answer.head.length - 1] = ctx.state.requestId;
    const res: ServerResponse = ctx.res;
    ctx.respond = false;
    res.writeHead(refusal.status, answer.head);
    res.end(answer.body);
  };
  const route: ApplyRoute = {
    idOf: (ctx) => ctx.params.eventId ?? deps.config.defaultEventId,
    soldOut: writeWhole,
    beforeGate: setHeaders,
  };
  const apply = applyHandler(deps, route);
  return (ctx, next) => {
    if (ctx.method !== 'POST') return next();
    const m = APPLY.exec(ctx.path);
    if (m === null) return next();
    const h = ctx.req.headers;
    if (h.origin !== undefined || h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0')) return next();
    requestIdOf(ctx);
    ctx.params = m[1] === undefined ? {} : { eventId: m[1] };
    try {
      authenticate(ctx, deps.tokens);
    } catch (e) {
      setHeaders(ctx);
      throw e;
    }
    return apply(ctx);
  };
}
