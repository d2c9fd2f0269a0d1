import type Router from '@koa/router';
import type { Context } from 'koa';
import { bearer } from '../middleware/auth.ts';
import { parse } from '../middleware/validate.ts';
import { notFound } from '../../core/platform/errors.ts';
import { eventId } from '../../core/use-cases/rules.ts';
import { applyHandler } from './apply.ts';
import { newRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';


/**
 * The participant's calls. /api/event/* are the original's paths and serve the default event;
 * /api/events/:eventId/* serve any event.
 */
export function eventRoutes(deps: ServerDeps): Router {
  const { applications, events, tokens, config, limits } = deps;
  const r = newRouter('/api');
  const auth = bearer(tokens);
  const idOf = (ctx: Context) => (ctx.params.eventId === undefined ? config.defaultEventId : parse(eventId, ctx.params.eventId));

  const apply = applyHandler(deps, idOf);
  const status = async (ctx: Context) => {
    limits.status(ctx.state.person);
    ctx.body = await applications.standing(idOf(ctx), ctx.state.person);
  };
  const info = async (ctx: Context) => {
    const s = await events.snapshot(idOf(ctx), 'recent');
    // A draft is the operator's: to participants it does not exist until it is scheduled or open.
    if (s.state === 'draft') throw notFound('EVENT_NOT_FOUND', `there is no event "${s.id}"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      id: s.id, name: s.name, state: s.state, opensAt: s.opensAt, closesAt: s.closesAt,
      soldOut: s.totalStock > 0 && s.remainingStock === 0, serverTime: new Date().toISOString(),
    };
  };

  r.post('/event/apply', auth, apply);
  r.get('/event/status', auth, status);
  r.get('/event', info);
  r.post('/events/:eventId/apply', auth, apply);
  r.get('/events/:eventId/status', auth, status);
  r.get('/events/:eventId', info);
  return r;
}
