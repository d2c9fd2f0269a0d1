import type { Middleware } from 'koa';
import { authenticate } from '../middleware/auth.ts';
import { stampRequestId } from '../middleware/request-id.ts';
import { apiHeaderList } from '../middleware/security.ts';
import { APPLY_PATH, fitsTheLane } from './lane.ts';
import { applyHandler } from './5-route-handler.ts';
import type { ServerDeps } from '../deps.ts';

/**
 * Step 4 of the apply path (path.ts), inside Koa, after its error handler: the apply call, ahead of
 * the chain, for an apply the steps before did not answer (a missing or refused token). In a herd nearly every request is an apply: the chain's steps
 * for every other call (path checks, the body reader, CORS, the routers' matching) would be much of
 * what it costs. This lane takes only an apply that needs none of them: POST on an apply path as
 * spelled, no body, no Origin. It does what the chain would (the request id, the security headers
 * with the API's CSP, the bearer token) and runs the route's own handler; the error handler before it
 * renders refusals. Anything else, an apply that doesn't fit included, goes the long way.
 */
export function applyLane(deps: ServerDeps): Middleware {
  const headers = apiHeaderList({ production: deps.config.env === 'production' });
  const apply = applyHandler(deps, (ctx) => ctx.params.eventId ?? deps.config.defaultEventId);
  return (ctx, next) => {
    if (ctx.method !== 'POST') return next();
    const m = APPLY_PATH.exec(ctx.path);
    if (m === null) return next();
    if (!fitsTheLane(ctx.req.headers)) return next();
    stampRequestId(ctx);
    const res = ctx.res;
    for (let i = 0; i < headers.length; i++) res.setHeader(headers[i]![0], headers[i]![1]);
    ctx.params = m[1] === undefined ? {} : { eventId: m[1] };
    authenticate(ctx, deps.tokens);
    return apply(ctx);
  };
}
