import type Router from '@koa/router';
import { newRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';

/**
 * For the platform, not for people: /healthz (the process is alive), /readyz (Redis, MySQL and the
 * Kafka producer answer; a 503 names what doesn't) and /metrics (Prometheus; kept off the public port
 * when the admin API has its own).
 */
export function opsRoutes({ readiness, metrics }: ServerDeps, withMetrics: boolean): Router {
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
  if (withMetrics) {
    r.get('/metrics', async (ctx) => {
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
    });
  }
  return r;
}
