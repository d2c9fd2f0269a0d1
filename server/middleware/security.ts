import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import cors from '@koa/cors';
import helmet from 'helmet';

/** The API's JSON allows nothing; the page sets its own CSP for what it loads. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * The headers helmet sets, worked out once at start-up: with the CSP left to the routes, they are
 * the same on every answer, so each request copies one prepared list instead of running helmet's
 * dozen steps. `Vary: Origin` is here too: what CORS answers depends on the Origin header.
 */
export function securityHeaderList(opts: { production: boolean }): [string, string][] {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: string | number) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
  };
  helmet({
    contentSecurityPolicy: false,
    strictTransportSecurity: opts.production ? { maxAge: 15552000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  })({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  headers.set('Vary', 'Origin');
  return [...headers];
}

/** What an answer of the API carries: the security headers and the API's CSP, in one list. */
export function apiHeaderList(opts: { production: boolean }): [string, string][] {
  return [...securityHeaderList(opts), ['Content-Security-Policy', API_CSP]];
}

/** Security headers on every answer; HSTS only where TLS is in front (production). */
export function securityHeaders(opts: { production: boolean }): Middleware {
  const list = securityHeaderList(opts);
  return async (ctx, next) => {
    const res = ctx.res;
    for (const [name, value] of list) res.setHeader(name, value);
    try {
      await next();
    } finally {
      // Refusals too: they leave through the error handler, past this step. Not a head a route wrote
      // itself (the stock stream): setting a header then throws, and each stream logged an error.
      if (ctx.path.startsWith('/api/') && !res.headersSent && !res.hasHeader('Content-Security-Policy'))
        res.setHeader('Content-Security-Policy', API_CSP);
    }
  };
}

/**
 * Cross-origin calls only from the origins listed in CORS_ORIGINS; none by default (the page is
 * same-origin). A request without an Origin header (no browser sent it) skips CORS altogether.
 */
export function corsAllowList(origins: string[]): Middleware {
  const allowed = new Set(origins);
  const handle = cors({
    origin: (ctx) => {
      const origin = ctx.get('Origin');
      return allowed.has(origin) ? origin : '';
    },
    allowMethods: ['GET', 'POST'],
    allowHeaders: ['Content-Type', 'Authorization', 'X-Request-Id'],
    maxAge: 600,
  });
  return (ctx, next) => (ctx.req.headers.origin ? handle(ctx, next) : next());
}
