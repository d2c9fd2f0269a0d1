import type Router from '@koa/router';
import type { Context } from 'koa';
import { newRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';
import { eventIdOf } from './event-param.ts';
import { jwksOf } from '../../core/adapters/keys/jws.ts';
import { publicEvent } from '../../core/use-cases/participant/event-view.ts';

/**
 * What anyone needs to check terning's proofs: the public keys (receipts, sold-out statements and
 * checkpoints name theirs by `kid` or key id, so a retired key stays listed and its proofs checkable),
 * and each event's public log (core/use-cases/proof/public-log.ts). A draft has no public log, as it
 * has no public page.
 */
export function proofRoutes({ keys, publicLog, events, config }: ServerDeps): Router {
  const r = newRouter();
  const jwks = JSON.stringify(jwksOf(keys));
  const idOf = eventIdOf(config);
  r.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'application/jwk-set+json';
    ctx.body = jwks;
  });
  const publicId = async (ctx: Context) => (await publicEvent(events, idOf(ctx))).id;
  const json = (ctx: Context, body: unknown) => {
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = body;
  };
  const checkpoint = async (ctx: Context) => {
    const { note } = await publicLog.checkpoint(await publicId(ctx));
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = note;
  };
  const entries = async (ctx: Context) => json(ctx, await publicLog.entries(await publicId(ctx), ctx.query));
  const proof = async (ctx: Context) => json(ctx, await publicLog.inclusion(await publicId(ctx), ctx.query.ticket));
  const consistency = async (ctx: Context) => json(ctx, await publicLog.consistency(await publicId(ctx), ctx.query));
  for (const base of ['/api/event/log', '/api/events/:eventId/log']) {
    r.get(`${base}/checkpoint`, checkpoint);
    r.get(`${base}/entries`, entries);
    r.get(`${base}/proof`, proof);
    r.get(`${base}/consistency`, consistency);
  }
  return r;
}
