import type { Context } from 'koa';
import { badRequest } from '../../core/platform/errors.ts';
import { ACTOR_RULE, isValidActor, UNNAMED_ACTOR } from '../../core/use-cases/operator/actor.ts';
import type { Caller } from '../../core/use-cases/operator/audited-events.ts';

/** Who is making an admin change: X-ADMIN-ACTOR (checked), with the request id, for the audit trail. */
export function callerOf(ctx: Context): Caller {
  const given = ctx.get('x-admin-actor');
  if (given && !isValidActor(given)) {
    throw badRequest('ACTOR_INVALID', `X-ADMIN-ACTOR must be a name of ${ACTOR_RULE}`);
  }
  return { actor: given || UNNAMED_ACTOR, requestId: ctx.state.requestId };
}
