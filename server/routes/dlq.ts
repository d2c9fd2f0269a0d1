import type Router from '@koa/router';
import { z } from 'zod';
import { parse } from '../middleware/validate.ts';
import { deadLetterId } from '../../core/domain/rules.ts';
import { callerOf } from './caller.ts';
import { adminRouter } from './router.ts';
import type { ServerDeps } from '../deps.ts';

const replay = z.union([z.object({ ids: z.array(deadLetterId).min(1).max(10_000) }).strict(), z.object({ all: z.literal(true) }).strict()]);

/** The dead letters, behind X-ADMIN-KEY: GET lists them, POST /replay sends chosen ones (or all) back. */
export function dlqRoutes(deps: ServerDeps): Router {
  const { deadLetters } = deps;
  const r = adminRouter(deps);
  r.get('/dlq', async (ctx) => {
    ctx.body = { deadLetters: await deadLetters.list() };
  });
  r.post('/dlq/replay', async (ctx) => {
    const which = parse(replay, ctx.state.body);
    ctx.body = await deadLetters.replay(callerOf(ctx), which);
  });
  return r.router;
}
