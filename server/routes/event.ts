import type Router from '@koa/router';
import type { Context } from 'koa';
import { bearer } from '../middleware/auth.ts';
import { applyHandler } from '../apply/5-route-handler.ts';
import { newRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';
import { eventIdOf } from './event-param.ts';
import { publicEvent } from '../../core/use-cases/participant/event-view.ts';

/**
 * The participant's calls. /api/event/* are the original's paths and serve the default event;
 * /api/events/:eventId/* serve any event.
 */
export function eventRoutes(deps: ServerDeps): Router {
  const { applications, events, tokens, config, limits } = deps;
  const r = newRouter('/api');
  const auth = bearer(tokens);
  const idOf = eventIdOf(config);

  const apply = applyHandler(deps, idOf);
  const status = async (ctx: Context) => {
    limits.status(ctx.state.person);
    ctx.body = await applications.standing(idOf(ctx), ctx.state.person);
  };
  const info = async (ctx: Context) => {
    const view = await publicEvent(events, idOf(ctx));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = view;
  };

  r.post('/event/apply', auth, apply);
  r.get('/event/status', auth, status);
  r.get('/event', info);
  r.post('/events/:eventId/apply', auth, apply);
  r.get('/events/:eventId/status', auth, status);
  r.get('/events/:eventId', info);
  return r;
}
