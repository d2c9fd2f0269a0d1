import type Router from '@koa/router';
import type { Context } from 'koa';
import { adminRouter, newRouter } from './router.ts';
import { adminKey, adminKeyCheck } from '../middleware/auth.ts';
import { isOutage } from '../../core/adapters/outage.ts';
import { networkOf } from '../../core/use-cases/sign-in/network.ts';
import type { ServerDeps } from '../deps.ts';

/**
 * How long one readiness answer serves every asker: anyone may ask, and each check is a Redis PING and
 * a MySQL query. A load balancer asks every few seconds; a flood asks the stores four times a second.
 */
const READY_FOR_MS = 250;

/** `fn` run once for every caller while it runs and for `forMs` after: a flood costs one call at a time. */
function sharedFor<T>(forMs: number, fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let last: { value: T; at: number } | undefined;
  return () => {
    if (last && performance.now() - last.at < forMs) return Promise.resolve(last.value);
    return (running ??= fn()
      .then((value) => {
        last = { value, at: performance.now() };
        return value;
      })
      .finally(() => {
        running = undefined;
      }));
  };
}

/**
 * For the platform, not for people: /healthz (the process is alive) and /readyz (Redis, MySQL and the
 * Kafka producer answer, and the API is not draining). Anyone may ask whether it is ready; only the
 * operator (X-ADMIN-KEY, guarded as every admin route: a wrong key is a failure counted) is told which
 * check fails, what it says being a map of the insides. The log says it once each time it changes,
 * and /metrics has each check's state (terning_ready{check}).
 */
export function opsRoutes(deps: ServerDeps): Router {
  const { readiness, log, metrics } = deps;
  const guard = adminKey(deps.config.adminKey, deps.limits, deps.config.limits.networkPrefixes);
  const holdsKey = adminKeyCheck(deps.config.adminKey);
  let last = '';
  const check = sharedFor(READY_FOR_MS, async () => {
    const answer = await readiness();
    for (const [name, state] of Object.entries(answer.checks)) metrics.ready.set({ check: name }, state === 'ok' ? 1 : 0);
    const now = JSON.stringify(answer.checks);
    if (now !== last) {
      if (answer.ready) log.info({ checks: answer.checks }, 'ready');
      else log.warn({ checks: answer.checks }, 'not ready');
      last = now;
    }
    return answer;
  });
  const r = newRouter();
  r.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  r.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const answer = async (told: boolean) => {
      const { ready, checks } = await check();
      ctx.status = ready ? 200 : 503;
      ctx.body = told ? { ready, checks } : { ready };
    };
    const key = ctx.get('x-admin-key');
    if (!key) return answer(false);
    if (!holdsKey(key)) return guard(ctx, () => answer(true));
    // The right key: refused only to a network locked out for guessing. Redis, which counts that, may
    // be what is down, and the operator needs this answer most then.
    try {
      await deps.limits.adminAllowed(networkOf(ctx.ip, deps.config.limits.networkPrefixes));
    } catch (e) {
      if (!isOutage(e)) throw e;
    }
    return answer(true);
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
