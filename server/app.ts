import Koa from 'koa';
import { errors } from './middleware/errors.ts';
import { requestId } from './middleware/request-id.ts';
import { canonicalPath } from './middleware/canonical-path.ts';
import { jsonBody } from './middleware/json-body.ts';
import { securityHeaders, corsAllowList } from './middleware/security.ts';
import { authRoutes } from './routes/auth.ts';
import { eventRoutes } from './routes/event.ts';
import { adminRoutes } from './routes/admin.ts';
import { dlqRoutes } from './routes/dlq.ts';
import { auditRoutes } from './routes/audit.ts';
import { pageRoutes } from './routes/page.ts';
import { streamRoutes } from './routes/stream.ts';
import { metricsRoutes, opsRoutes } from './routes/ops.ts';
import { proofRoutes } from './routes/proof.ts';
import { dispatch } from './routes/dispatch.ts';
import { applyLane } from './apply/4-koa-lane.ts';
import type { ServerDeps } from './deps.ts';

export const BODY_LIMIT = 4 * 1024;

/**
 * Which routes an app serves: everything on one port, or the public routes and the admin routes on
 * two ports so that the admin API never faces the internet (ADMIN_PORT).
 */
export type Surface = 'all' | 'public' | 'admin';

/** Builds the HTTP app; listening is the caller's business. */
export function createApp(deps: ServerDeps, surface: Surface = 'all'): Koa {
  const app = new Koa();
  // The client is the entry TRUST_PROXY from the right of X-Forwarded-For (Koa's ips keeps the last
  // maxIpsCount entries, ip is the first of them): what the proxies in front appended, never what the
  // client wrote, so a client can't choose what the per-IP limits count.
  app.proxy = deps.config.trustProxy > 0;
  app.maxIpsCount = deps.config.trustProxy;
  app.use(errors(deps.log));
  // Step 4 of the apply path (server/apply/path.ts): a bodiless apply, ahead of the chain.
  if (surface !== 'admin') app.use(applyLane(deps));
  app.use(requestId());
  app.use(canonicalPath());
  app.use(securityHeaders({ production: deps.config.env === 'production' }));
  app.use(corsAllowList(deps.config.corsOrigins));
  app.use(jsonBody({ limit: BODY_LIMIT }));
  const routers = [
    opsRoutes(deps),
    ...(surface !== 'public' ? [metricsRoutes(deps, surface === 'admin' ? 'open' : 'admin-key')] : []),
    ...(surface !== 'admin' ? [authRoutes(deps), eventRoutes(deps), streamRoutes(deps), proofRoutes(deps), pageRoutes()] : []),
    ...(surface !== 'public' ? [adminRoutes(deps), dlqRoutes(deps), auditRoutes(deps)] : []),
  ];
  app.use(dispatch(routers));
  app.on('error', (err) => deps.log.debug({ err }, 'koa error'));
  return app;
}
