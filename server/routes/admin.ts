import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { parse } from '../middleware/validate.ts';
import { eventId, eventTime, stockCount } from '../../core/domain/rules.ts';
import type { ServerDeps } from '../deps.ts';
import { callerOf } from './caller.ts';
import { adminRouter } from './router.ts';
import { eventIdOf } from './event-param.ts';

const stock = z.object({ count: stockCount }).strict();
const instant = eventTime;
const when = z.object({ at: instant.optional() }).strict();
const newEvent = z
  .object({
    id: eventId,
    name: z.string().trim().min(1).max(200),
    totalStock: stockCount.default(0),
    opensAt: instant.optional(),
    closesAt: instant.optional(),
  })
  .strict();

const at = (s?: string) => (s ? new Date(s) : undefined);

/** The operator's calls, behind X-ADMIN-KEY. /api/admin/event/* act on the default event. */
export function adminRoutes(deps: ServerDeps): Router {
  const { events, changes, config } = deps;
  const r = adminRouter(deps);
  const idOf = eventIdOf(config);

  const show = async (ctx: Context) => {
    ctx.body = await events.snapshot(idOf(ctx));
  };
  const setStock = async (ctx: Context) => {
    const { count } = parse(stock, ctx.state.body);
    ctx.body = await changes.setStock(callerOf(ctx), idOf(ctx), count);
  };
  const open = async (ctx: Context) => {
    ctx.body = await changes.open(callerOf(ctx), idOf(ctx), at(parse(when, ctx.state.body).at));
  };
  const close = async (ctx: Context) => {
    ctx.body = await changes.close(callerOf(ctx), idOf(ctx), at(parse(when, ctx.state.body).at));
  };

  r.get('/event', show);
  r.post('/event/stock', setStock);
  r.post('/event/open', open);
  r.post('/event/close', close);

  r.get('/events', async (ctx) => {
    ctx.body = { events: await Promise.all((await events.list()).map((e) => events.snapshot(e.id))) };
  });
  r.post('/events', async (ctx) => {
    const e = parse(newEvent, ctx.state.body);
    const created = await changes.create(callerOf(ctx), {
      id: e.id,
      name: e.name,
      totalStock: e.totalStock,
      opensAt: at(e.opensAt),
      closesAt: at(e.closesAt),
    });
    ctx.status = 201;
    ctx.body = created;
  });
  r.get('/events/:eventId', show);
  r.post('/events/:eventId/stock', setStock);
  r.post('/events/:eventId/open', open);
  r.post('/events/:eventId/close', close);
  return r.router;
}
