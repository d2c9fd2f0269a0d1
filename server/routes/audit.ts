import Router from '@koa/router';
import { z } from 'zod';
import { adminKey } from '../middleware/auth.ts';
import { parse } from '../middleware/validate.ts';
import { eventId } from './event.ts';
import type { ServerDeps } from '../deps.ts';

const query = z.object({
  event: eventId.optional(),
  limit: z.string().regex(/^\d+$/, 'limit is a whole number').transform(Number).pipe(z.number().int().min(1).max(10_000)).optional(),
}).strict();

/** The audit trail of operator changes, newest first, behind X-ADMIN-KEY. */
export function auditRoutes({ audit, config, limits }: ServerDeps): Router {
  const r = new Router({ prefix: '/api/admin/audit' });
  r.use(adminKey(config.adminKey, limits));
  r.get('/', async (ctx) => {
    const q = parse(query, ctx.query);
    ctx.body = { entries: await audit.list({ eventId: q.event, limit: q.limit ?? 50 }) };
  });
  return r;
}
