import Koa from 'koa';
import { errors } from './middleware/errors.ts';
import { requestId } from './middleware/request-id.ts';
import { jsonBody } from './middleware/json-body.ts';
import { authRoutes } from './routes/auth.ts';
import { eventRoutes } from './routes/event.ts';
import { adminRoutes } from './routes/admin.ts';
import { pageRoutes } from './routes/page.ts';
import type { ServerDeps } from './deps.ts';

export const BODY_LIMIT = 4 * 1024;

/** Builds the HTTP app; listening is the caller's business. */
export function createApp(deps: ServerDeps): Koa {
  const app = new Koa();
  app.proxy = true;
  app.use(errors(deps.log));
  app.use(requestId());
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    await next();
  });
  app.use(jsonBody({ limit: BODY_LIMIT }));
  for (const router of [authRoutes(deps), eventRoutes(deps), adminRoutes(deps), pageRoutes()]) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  app.on('error', (err) => deps.log.debug({ err }, 'koa error'));
  return app;
}
