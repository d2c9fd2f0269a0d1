import type Router from '@koa/router';
import { z } from 'zod';
import { parse } from '../middleware/validate.ts';
import { eventId } from '../../core/domain/rules.ts';
import { adminRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';

const query = z
  .object({
    event: eventId.optional(),
    limit: z.string().regex(/^\d+$/, 'limit is a whole number').transform(Number).pipe(z.number().int().min(1).max(10_000)).optional(),
  })
  .strict();

/** The audit trail of operator changes, newest first, behind X-ADMIN-KEY. */
export function auditRoutes(deps: ServerDeps): Router {
  const { audit } = deps;
  const r = adminRouter(deps);
  r.get('/audit', async (ctx) => {
    const q = parse(query, ctx.query);
    ctx.body = { entries: await audit.list({ eventId: q.event, limit: q.limit ?? 50 }) };
  });
  return r.router;
}
