import type { IncomingMessage, ServerResponse } from 'node:http';
import { personOf } from '../../core/use-cases/participant/identity.ts';
import { AppError } from '../../core/platform/errors.ts';
import { asAppError, bodyOf } from '../middleware/errors.ts';
import { requestIdOf } from '../middleware/request-id.ts';
import { apiHeaderList } from '../middleware/security.ts';
import { APPLY_PATH, fitsTheLane } from './lane.ts';
import { bearerOf, verifiedEmail } from '../middleware/auth.ts';
import { applyCounter } from './outcomes.ts';
import { jsonHead } from './json-head.ts';
import type { ServerDeps } from '../deps.ts';
import type { AppListener } from './2-admission.ts';

/**
 * Step 3 of the apply path (path.ts): an apply with a valid token, answered without Koa in its turn
 * (it runs inside admission, step 2): what Koa's apply lane (4-koa-lane.ts) would answer, the same
 * status, body and headers (tests/apply-lane.test.ts holds them alike), written in one call. A
 * winner's request lives across three round trips (the gate, Kafka's acknowledgement, the
 * confirmation), so whatever it holds is promoted out of the young generation and collected in old
 * space: in a big drop GC was 28% of the API's work, and Koa's context, its response handling and
 * on-finished's listeners were, with their garbage, about a fifth of it. A missing or refused token,
 * and anything that does not fit the lane, goes to Koa (step 4).
 */
export function answerWithoutKoa(deps: ServerDeps, koa: AppListener): AppListener {
  const { applications, limits, tokens, config, metrics, log } = deps;
  const done = applyCounter(metrics);
  const security = apiHeaderList({ production: config.env === 'production' }).flat();

  const write = (res: ServerResponse, status: number, body: string, requestId: string, headers?: Record<string, string>) => {
    // As Koa: nothing is written to a client that is gone.
    if (res.writableEnded || res.socket?.writable === false) return;
    res.writeHead(status, jsonHead(security, headers, body, requestId));
    res.end(body);
  };

  async function answer(req: IncomingMessage, res: ServerResponse, eventId: string, email: string): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const person = personOf(email);
    try {
      const refusal = applications.soldOutFromMemory(eventId, person);
      if (refusal) throw refusal;
      limits.apply(person);
      const { standing, accepted } = await applications.apply(eventId, person, email, requestId);
      write(res, accepted ? 202 : 200, JSON.stringify(standing), requestId);
      done(accepted ? 'won' : 'decided', started);
    } catch (e) {
      done(e instanceof AppError ? e.code : 'error', started);
      const err = asAppError(e, log, { requestId, path: req.url ?? '' });
      write(res, err.status, bodyOf(err), requestId, err.headers);
    }
  }

  return (req, res) => {
    const path = req.method === 'POST' ? APPLY_PATH.exec(req.url ?? '') : null;
    const token = path !== null && fitsTheLane(req.headers) ? bearerOf(req.headers.authorization) : null;
    let email: string | undefined;
    if (token !== null) {
      try {
        email = verifiedEmail(req, token, tokens);
      } catch {
        // Koa's lane refuses it in full.
      }
    }
    if (email === undefined) return koa(req, res);
    return answer(req, res, path![1] ?? config.defaultEventId, email);
  };
}
