import type Router from '@koa/router';
import type { Middleware } from 'koa';

/**
 * Every router behind one step: the request goes straight to the router that has its path and
 * method, instead of through each router in turn (a router and its allowedMethods per file made the
 * herd's apply pass sixteen steps that had nothing to say about it). A path some router has under
 * another method goes to that router, whose allowedMethods answers 405 (or OPTIONS); anything else
 * falls through, to the 404 of the error handler.
 */
export function dispatch(routers: Router[]): Middleware {
  const entries = routers.map((router) => {
    const routes = router.routes() as Middleware;
    const allowed = router.allowedMethods({ throw: true }) as Middleware;
    const handle: Middleware = (ctx, next) => routes(ctx, () => allowed(ctx, next));
    return { router, handle };
  });
  return (ctx, next) => {
    let other: (typeof entries)[number] | undefined;
    for (const e of entries) {
      const m = e.router.match(ctx.path, ctx.method);
      if (m.route) return e.handle(ctx, next);
      if (!other && m.path.some((layer) => layer.methods.length > 0)) other = e;
    }
    return other ? other.handle(ctx, next) : next();
  };
}
