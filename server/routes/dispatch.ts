import type Router from '@koa/router';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import { AppError } from '../../core/platform/errors.ts';

const ROUTERS = Symbol('routers');

/**
 * Every router behind one step: the request goes straight to the router that has its path and
 * method, instead of through each router in turn (a router and its allowedMethods per file made the
 * herd's apply pass sixteen steps that had nothing to say about it). A path the routers have under
 * other methods only is answered here, whatever the method (TRACE, PROPFIND, QUERY, OPTIONS, ...): 405
 * with Allow. OPTIONS is served only as a CORS preflight, by the CORS step before this one: an admin
 * path answers nothing 2xx without the key. Any other path falls through, to the error handler's 404.
 */
export function dispatch(routers: Router[]): Middleware {
  for (const router of routers) {
    if (!router.opts.sensitive || !router.opts.strict)
      throw new Error(`the router of ${router.opts.prefix || '/'} matches paths in more than one spelling: make it with newRouter()`);
  }
  const entries = routers.map((router) => ({ router, routes: router.routes() as Middleware }));
  const step: Middleware = (ctx, next) => {
    const allowed = new Set<string>();
    for (const { router, routes } of entries) {
      const m = router.match(ctx.path, ctx.method);
      if (m.route) return routes(ctx, next);
      for (const layer of m.path) for (const method of layer.methods) allowed.add(method);
    }
    if (!allowed.size) return next();
    const allow = [...allowed].join(', ');
    ctx.set('Allow', allow);
    throw new AppError(405, 'METHOD_NOT_ALLOWED', `${ctx.path} takes ${allow}, not ${ctx.method}`);
  };
  return Object.assign(step, { [ROUTERS]: routers });
}

export interface Route {
  path: string;
  methods: string[];
}

/** Every route an app serves, read from its routers: for tests that must cover each one, new ones too. */
export function routesOf(app: Koa): Route[] {
  return app.middleware
    .flatMap((step) => (step as { [ROUTERS]?: Router[] })[ROUTERS] ?? [])
    .flatMap((router) => router.stack.filter((layer) => layer.methods.length > 0))
    .map((layer) => ({ path: String(layer.path), methods: [...layer.methods] }));
}
