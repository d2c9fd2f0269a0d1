import type { Context } from 'koa';
import { z } from 'zod';
import { parse } from '../middleware/validate.ts';
import { renderError } from '../middleware/errors.ts';
import { AppError } from '../../core/platform/errors.ts';
import { applyCounter } from './outcomes.ts';
import type { ServerDeps } from '../deps.ts';

const noBody = z.object({}).strict();

/**
 * Step 5 of the apply path (path.ts), the last: the apply call's handler, for the lane ahead of Koa's
 * chain (4-koa-lane.ts) and for its routes (server/routes/event.ts), where an apply with a body or an
 * Origin arrives the long way: the person comes from the token (bearer), a body if any must be empty.
 */
export function applyHandler(
  { applications, limits, metrics }: Pick<ServerDeps, 'applications' | 'limits' | 'metrics'>,
  idOf: (ctx: Context) => string,
) {
  const done = applyCounter(metrics);
  const outcomeOf = (e: unknown) => (e instanceof AppError ? e.code : 'error');
  const gate = async (ctx: Context, eventId: string, started: number) => {
    try {
      limits.apply(ctx.state.person);
      const { standing, accepted } = await applications.apply(eventId, ctx.state.person, ctx.state.email, ctx.state.requestId);
      ctx.status = accepted ? 202 : 200;
      ctx.body = standing;
      done(accepted ? 'won' : 'decided', started);
    } catch (e) {
      done(outcomeOf(e), started);
      throw e;
    }
  };
  // A sold-out event this process knows of is answered at once. The per-person limit is not asked:
  // its 429 would cost what this answer costs.
  return (ctx: Context): Promise<void> | undefined => {
    const started = performance.now();
    let eventId: string;
    try {
      if (ctx.state.body !== undefined) parse(noBody, ctx.state.body);
      eventId = idOf(ctx);
    } catch (e) {
      done(outcomeOf(e), started);
      throw e;
    }
    const soldOut = applications.soldOutFromMemory(eventId, ctx.state.person);
    if (soldOut === undefined) return gate(ctx, eventId, started);
    renderError(ctx, soldOut);
    done(soldOut.code, started);
    return undefined;
  };
}
