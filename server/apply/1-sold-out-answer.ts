import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { personOf } from '../../core/use-cases/participant/identity.ts';
import { bodyOf } from '../middleware/errors.ts';
import { requestIdOf } from '../middleware/request-id.ts';
import { apiHeaderList } from '../middleware/security.ts';
import { APPLY_PATH, fitsTheLane } from './lane.ts';
import { bearerOf, verifiedEmail } from '../middleware/auth.ts';
import { applyCounter } from './outcomes.ts';
import { jsonHead } from './json-head.ts';
import type { ServerDeps } from '../deps.ts';

/**
 * Step 1 of the apply path (path.ts), before a request waits its turn. Most of a giveaway's crowd
 * applies after the gifts are gone, and each API process knows which of its events are sold out
 * (core/adapters/redis/sold-out-board.ts). That answer is the same for all of them but its request id,
 * so it is written here, before Koa, in one call, from headers and a body prepared once: the security
 * headers with the API's CSP, the one error shape, as Koa would have answered (tests/apply-lane.test.ts
 * holds them alike). Only an apply that needs nothing else qualifies: POST on an apply path as spelled,
 * no body, no Origin (lane.ts), a valid token, an event this process knows is sold out and a person who
 * is not among its winners. Everything else, a refused token included, goes on (`next`: admission,
 * step 2) and is answered in full.
 *
 * Measured with 2,000 keep-alive connections (perf): Koa's context, its response handling and the
 * fifteen headers set one by one, and the garbage they leave (young objects of the connections' last
 * requests promoted, then collected in old space), were about a third of what this answer cost.
 */
export function soldOutAnswer(deps: ServerDeps, next: RequestListener): RequestListener {
  const { applications, tokens, config, metrics } = deps;
  const done = applyCounter(metrics);
  const security = apiHeaderList({ production: config.env === 'production' }).flat();
  // Weak: an event that sells out again (stock given back, then taken) has a new answer; the old one goes.
  const answers = new WeakMap<object, { status: number; head: string[]; body: string }>();
  const answerFor = (refusal: NonNullable<ReturnType<typeof applications.soldOutFromMemory>>) => {
    let answer = answers.get(refusal);
    if (answer === undefined) {
      const body = bodyOf(refusal);
      const head = jsonHead(security, refusal.headers, body);
      answers.set(refusal, (answer = { status: refusal.status, head, body }));
    }
    return answer;
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const refusal = req.method === 'POST' ? soldOut(req) : undefined;
    if (refusal === undefined) return next(req, res);
    const answer = answerFor(refusal);
    // The one header that differs, set in place: writeHead copies the list at once.
    answer.head[answer.head.length - 1] = requestIdOf(req);
    res.writeHead(answer.status, answer.head);
    res.end(answer.body);
    done(refusal.code, started);
  };

  function soldOut(req: IncomingMessage) {
    const path = APPLY_PATH.exec(req.url ?? '');
    if (path === null) return undefined;
    if (!fitsTheLane(req.headers)) return undefined;
    const token = bearerOf(req.headers.authorization);
    if (token === null) return undefined;
    let email: string;
    try {
      email = verifiedEmail(req, token, tokens);
    } catch {
      return undefined;
    }
    return applications.soldOutFromMemory(path[1] ?? config.defaultEventId, personOf(email));
  }
}
