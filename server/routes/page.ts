import Router from '@koa/router';
import { readFileSync } from 'node:fs';

const html = readFileSync(new URL('../page/index.html', import.meta.url), 'utf8');

/** The participant page: one self-contained HTML file. */
export function pageRoutes(): Router {
  const r = new Router();
  r.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = html;
  });
  return r;
}
