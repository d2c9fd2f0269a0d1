import type { Context } from 'koa';
import { z } from 'zod';
import { parse } from '../middleware/validate.ts';
import { renderError } from '../middleware/errors.ts';
import { AppError } from '../../core/errors.ts';
import type { ServerDeps } from '../deps.ts';

const noBody = z.object({}).strict();

/** How a route serves the apply call: which event it names, and how a sold-out answer is written. */
export interface ApplyRoute {
  idOf(ctx: Context): string;
  /** Writes the SOLD_OUT answer this process knows without Redis. */
  soldOut(ctx: Context, refusal: AppError): void;
  /** Before the gate is asked (the answer may be anything then). */
  beforeGate?(ctx: Context): void;
}

/**
 * The apply call's handler, for its routes (server/routes/event.ts) and for the lane ahead of the chain
 * (server/routes/apply-lane.ts): the person comes from the token (bearer), a body if any must be empty.
 */
export function applyHandler({ applications, limits, metrics }: Pick<ServerDeps, 'applications' | 'limits' | 'metrics'>, route: ApplyRoute) {
  // One labelled counter per outcome, looked up once: a herd's applies are counted without hashing labels.
  const counters = new Map<string, { inc(): void }>();
  const done = (outcome: string, started: number) => {
    let counter = counters.get(outcome);
    if (!counter) counters.set(outcome, (counter = metrics.applies.labels({ outcome: outcome.toLowerCase() })));
    counter.inc();
    metrics.applyLatency.observe((performance.now() - started) / 1000);
  };
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
      eventId = route.idOf(ctx);
    } catch (e) {
      route.beforeGate?.(ctx);
      done(outcomeOf(e), started);
      throw e;
    }
    const soldOut = applications.soldOutFromMemory(eventId, ctx.state.person);
    if (soldOut === undefined) {
      route.beforeGate?.(ctx);
      return gate(ctx, eventId, started);
    }
    route.soldOut(ctx, soldOut);
    done(soldOut.code, started);
    return undefined;
  };
}

/** The route's way: the chain before it set the headers; the error handler's shape. */
export const chainRoute = (idOf: (ctx: Context) => string): ApplyRoute => ({ idOf, soldOut: renderError });
