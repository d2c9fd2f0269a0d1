import type { Middleware } from 'koa';
import cors from '@koa/cors';
import helmet from 'koa-helmet';

/**
 * Security headers on every answer. The API's JSON gets a CSP that allows nothing; the page sets its
 * own CSP for what it loads. HSTS only where TLS is in front (production).
 */
export function securityHeaders(opts: { production: boolean }): Middleware[] {
  return [
    helmet({
      contentSecurityPolicy: false,
      strictTransportSecurity: opts.production ? { maxAge: 15552000, includeSubDomains: true } : false,
      crossOriginEmbedderPolicy: false,
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
    }) as Middleware,
    async (ctx, next) => {
      await next();
      if (ctx.path.startsWith('/api/') && !ctx.response.get('Content-Security-Policy')) {
        ctx.set('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
      }
    },
  ];
}

/** Cross-origin calls only from the origins listed in CORS_ORIGINS; none by default (the page is same-origin). */
export function corsAllowList(origins: string[]): Middleware {
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => {
      const origin = ctx.get('Origin');
      return allowed.has(origin) ? origin : '';
    },
    allowMethods: ['GET', 'POST'],
    allowHeaders: ['Content-Type', 'Authorization', 'X-Request-Id'],
    maxAge: 600,
  });
}
