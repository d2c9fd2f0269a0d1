import type Router from '@koa/router';
import type Koa from 'koa';
import type { Middleware } from 'koa';

const ROUTERS = Symbol('routers');

/**
 * Every router behind one step: the request goes straight to the router that has its path and
 * method, instead of through each router in turn (a router and its allowedMethods per file made the
 * herd's apply pass sixteen steps that had nothing to say about it). A path some router has under
 * another method goes to that router, whose allowedMethods answers 405 (or OPTIONS); anything else
 * falls through, to the 404 of the error handler.
 */
export function dispatch(routers: Router[]): Middleware {
  for (const router of routers) {
    if (!router.opts.sensitive || !router.opts.strict) throw new Error(`the router of ${router.opts.prefix || '/'} matches paths in more than one spelling: make it with newRouter()`);
  }
  const entries = routers.map((router) => {
    const routes = router.routes() as Middleware;
    const allowed = router.allowedMethods({ throw: true }) as Middleware;
    const handle: Middleware = (ctx, next) => routes(ctx, () => allowed(ctx, next));
    return { router, handle };
  });
  const step: Middleware = (ctx, next) => {
    let other: (typeof entries)[number] | undefined;
    for (const e of entries) {
      const m = e.router.match(ctx.path, ctx.method);
      if (m.route) return e.handle(ctx, next);
      if (!other && m.path.some((layer) => layer.methods.length > 0)) other = e;
    }
    return other ? other.handle(ctx, next) : next();
  };
  return Object.assign(step, { [ROUTERS]: routers });
}

export interface Route { path: string; methods: string[] }

/** Every route an app serves, read from its routers: for tests that must cover each one, new ones too. */
export function routesOf(app: Koa): Route[] {
  return app.middleware
    .flatMap((step) => (step as { [ROUTERS]?: Router[] })[ROUTERS] ?? [])
    .flatMap((router) => router.stack.filter((layer) => layer.methods.length > 0))
    .map((layer) => ({ path: String(layer.path), methods: [...layer.methods] }));
}
