import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { soldOutAnswer } from '../server/apply/1-sold-out-answer.ts';
import { conflict } from '../core/platform/errors.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import { Metrics } from '../core/platform/metrics.ts';
import type { ServerDeps } from '../server/deps.ts';

/**
 * Step 1 of the apply path renders each sold-out answer once and keeps it while the answer is the
 * board's. An event's answer changes each time it sells out again (stock given back, then taken:
 * a new statement), and the process lives for months: the old answers must not be kept for good.
 */
test("the sold-out answer's rendering is let go with the refusal it was made from", async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const tokens = new Tokens({ secret: 'a-test-secret-that-is-long-enough-for-hs256', ttlSeconds: 600 } as never);
  const token = await tokens.issue('someone@example.test');
  let refusal: object | undefined = conflict('SOLD_OUT', 'all the gifts are gone', { statement: 'x' });
  const deps = {
    applications: { soldOutFromMemory: () => refusal },
    tokens,
    config: { env: 'test', defaultEventId: 'ev' },
    metrics: new Metrics('sold-out-answer-test'),
  } as unknown as ServerDeps;
  const answer = soldOutAnswer(deps, () => t.fail('answered from memory, not passed on'));
  const ask = () => {
    const req = { method: 'POST', url: '/api/events/ev/apply', headers: { authorization: `Bearer ${token}` } };
    const res = { writeHead: () => res, end: () => res };
    answer(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  };
  ask();
  ask();
  const first = new WeakRef(refusal!);
  // The event sold out again: a new statement, a new refusal; the first is the board's no more.
  refusal = conflict('SOLD_OUT', 'all the gifts are gone', { statement: 'y' });
  ask();
  await new Promise((r) => setImmediate(r));
  gc();
  t.is(first.deref(), undefined, 'the first refusal (and its rendered answer) can be collected');
});
