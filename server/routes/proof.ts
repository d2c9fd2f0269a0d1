import type Router from '@koa/router';
import { newRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';
import { jwksOf } from '../../core/adapters/keys/jws.ts';

/**
 * What anyone needs to check terning's proofs: the public keys (receipts, sold-out statements and
 * checkpoints name theirs by `kid` or key id, so a retired key stays listed and its proofs checkable).
 */
export function proofRoutes({ keys }: ServerDeps): Router {
  const r = newRouter();
  const jwks = JSON.stringify(jwksOf(keys));
  r.get('/.well-known/jwks.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'application/jwk-set+json';
    ctx.body = jwks;
  });
  return r;
}
