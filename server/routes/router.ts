import Router from '@koa/router';
import type { Middleware } from 'koa';
import { adminKey } from '../middleware/auth.ts';
import type { ServerDeps } from '../deps.ts';

/**
 * Every router of the API. Paths match exactly as spelled, case and trailing slash included, so each
 * route has one spelling; dispatch() refuses a router made otherwise.
 */
export function newRouter(prefix?: string): Router {
  return new Router({ prefix, sensitive: true, strict: true });
}

export interface AdminRouter {
  router: Router;
  get(path: string, ...handlers: Middleware[]): void;
  post(path: string, ...handlers: Middleware[]): void;
}

/**
 * The only way to add an operator's route: each one gets the X-ADMIN-KEY guard as its own first
 * step, so a request that reaches an admin handler has passed the guard, however its path was
 * spelled. A guard mounted with router.use() on a prefix is matched apart from the routes, and
 * missed them when the two disagreed (it took `/API/admin/event` for another path; the route did not).
 */
export function adminRouter({ config, limits }: Pick<ServerDeps, 'config' | 'limits'>, prefix = '/api/admin'): AdminRouter {
  const router = newRouter(prefix);
  const guard = adminKey(config.adminKey, limits, config.limits.networkPrefixes);
  return {
    router,
    get: (path, ...handlers) => void router.get(path, guard, ...handlers),
    post: (path, ...handlers) => void router.post(path, guard, ...handlers),
  };
}
