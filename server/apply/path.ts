import type { IncomingMessage, RequestListener } from 'node:http';
import { soldOutAnswer } from './1-sold-out-answer.ts';
import { admission, type AdmissionLimits, type AppListener } from './2-admission.ts';
import { answerWithoutKoa } from './3-answer-without-koa.ts';
import type { ServerDeps } from '../deps.ts';

/**
 * The apply path, in the order a request meets it (docs/life-of-an-apply.md walks it hop by hop):
 *
 * 1. 1-sold-out-answer.ts: an apply to an event this process knows is sold out is answered at once,
 *    from memory, before it waits for anything.
 * 2. 2-admission.ts: everything else waits its turn; at most `concurrency` requests run at once.
 * 3. 3-answer-without-koa.ts: in its turn, an apply with a valid token is answered without Koa.
 * 4. 4-koa-lane.ts: anything else goes to Koa (server/app.ts), where the lane takes a bodiless apply
 *    ahead of the chain, and an apply with a body goes the long way (server/routes/event.ts) ...
 * 5. 5-route-handler.ts: ... to the same handler, which calls the gate.
 *
 * What qualifies for the steps ahead of the chain is in lane.ts; each step counts what it answered
 * (outcomes.ts). The admin surface has no apply: its requests only wait their turn (step 2).
 */
export function applyPath(
  deps: ServerDeps,
  koa: AppListener,
  limits: AdmissionLimits,
  skips: (req: IncomingMessage) => boolean,
): RequestListener {
  const inTurn = admission(answerWithoutKoa(deps, koa), limits, skips);
  return soldOutAnswer(deps, inTurn);
}
