import type Router from '@koa/router';
import type { Context } from 'koa';
import { adminRouter, newRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';

/**
 * For the platform, not for people: /healthz (the process is alive) and /readyz (Redis, MySQL and the
 * Kafka producer answer; a 503 names what doesn't).
 */
export function opsRoutes({ readiness }: ServerDeps): Router {
  const r = newRouter();
  r.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  r.get('/readyz', async (ctx) => {
    const answer = await readiness();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = answer.ready ? 200 : 503;
    ctx.body = answer;
  });
  return r;
}

/**
 * /metrics for Prometheus. It tells the Node version, the memory and the live counts of every outcome,
 * so no participant may read it: on the admin port (ADMIN_PORT, never public) the scraper reads it as
 * is; where one port serves everything it takes X-ADMIN-KEY like any admin route.
 */
export function metricsRoutes(deps: ServerDeps, access: 'open' | 'admin-key'): Router {
  const serve = async (ctx: Context) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  };
  if (access === 'open') return newRouter().get('/metrics', serve);
  const r = adminRouter(deps, '');
  r.get('/metrics', serve);
  return r.router;
}
