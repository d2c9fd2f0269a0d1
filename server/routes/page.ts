import type Router from '@koa/router';
import { buildPage, type PageBuild } from '../page/build.ts';
import { newRouter } from './router.ts';

/** The page loads only its own script and stylesheet, and talks only to this origin. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

let built: PageBuild | undefined;

/**
 * The participant page. The HTML is revalidated on every visit (no-cache, with an ETag), so a new
 * release is picked up at once; its script and stylesheet carry a content hash in their names and are
 * cached for a year.
 */
export function pageRoutes(): Router {
  built ??= buildPage();
  const page = built;
  const r = newRouter();
  r.get('/', (ctx) => {
    ctx.set({ 'Cache-Control': 'no-cache', ETag: page.etag, 'Content-Security-Policy': CSP });
    if (ctx.get('if-none-match') === page.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'html';
    ctx.body = page.html;
  });
  r.get('/assets/:name', (ctx) => {
    const asset = page.assets.get(ctx.params.name!);
    if (!asset) return;
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = asset.type;
    ctx.body = asset.body;
  });
  return r;
}
