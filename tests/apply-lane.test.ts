import test from 'ava';
import { startSystem, newEvent, randomEmail, randomEventId, type System } from './support/system.ts';
import { rawHttp } from './support/http.ts';
import { until } from './support/wait.ts';
import { eventCommandsDuring } from './support/redis-monitor.ts';
import { Tokens } from '../core/use-cases/sign-in/tokens.ts';

// A bodiless apply is answered ahead of the chain (server/apply/path.ts): a SOLD_OUT known without
// Redis before Koa (1-sold-out-answer.ts), one with a valid token without Koa (3-answer-without-koa.ts),
// anything else by the apply lane (4-koa-lane.ts); an apply with a body goes the long way. All must
// answer alike: same status, body, and headers.
let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: false });
});
test.after.always(async () => {
  await sys?.stop();
});

const VOLATILE = new Set(['date', 'x-request-id', 'content-length', 'keep-alive', 'connection']);
const stable = (headers: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(headers)
      .filter(([k]) => !VOLATILE.has(k))
      .sort(),
  );

async function both(path: string, email: string) {
  const token = await sys.tokens.issue(email);
  const lane = await rawHttp(sys.url, 'POST', path, { headers: { Authorization: `Bearer ${token}` } });
  const long = await rawHttp(sys.url, 'POST', path, {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  return { lane, long };
}

test('an apply answers alike in the lane and the long way: sold out, won, refused token', async (t) => {
  const eventId = await newEvent(sys, 1);
  const path = `/api/events/${eventId}/apply`;
  const winner = randomEmail('winner');
  const won = await both(path, winner);
  t.is(won.lane.status, 202);
  t.is(won.long.status, 200, 'the repeat of a winner');
  t.deepEqual(stable(won.lane.headers), stable(won.long.headers));

  // Once this process has read the sold-out event's winners, a newcomer's SOLD_OUT takes no Redis command.
  await until(
    'SOLD_OUT answered from memory',
    async () => {
      const seen = await eventCommandsDuring(sys.config.redisUrl, sys.config.redisPrefix, eventId, async () =>
        rawHttp(sys.url, 'POST', path, { headers: { Authorization: `Bearer ${await sys.tokens.issue(randomEmail('probe'))}` } }),
      );
      return seen.length === 0 ? true : undefined;
    },
    5_000,
    50,
  );
  const soldOut = await both(path, randomEmail('late'));
  t.deepEqual([soldOut.lane.status, soldOut.long.status], [409, 409]);
  t.is(soldOut.lane.text, soldOut.long.text);
  t.is(JSON.parse(soldOut.lane.text).error.code, 'SOLD_OUT');
  t.deepEqual(stable(soldOut.lane.headers), stable(soldOut.long.headers));
  t.truthy(soldOut.lane.headers['content-security-policy']);
  t.truthy(soldOut.lane.headers['x-request-id']);

  const forged = await rawHttp(sys.url, 'POST', path, { headers: { Authorization: 'Bearer a.b.c' } });
  const forgedLong = await rawHttp(sys.url, 'POST', path, {
    headers: { Authorization: 'Bearer a.b.c', 'Content-Type': 'application/json' },
    body: '{}',
  });
  t.deepEqual([forged.status, forgedLong.status], [401, 401]);
  t.is(forged.text, forgedLong.text);
  t.deepEqual(stable(forged.headers), stable(forgedLong.headers));
});

test('a body that is not empty is refused on a sold-out event too, before the sold-out answer', async (t) => {
  const eventId = await newEvent(sys, 0);
  const token = await sys.tokens.issue(randomEmail('body'));
  const res = await rawHttp(sys.url, 'POST', `/api/events/${eventId}/apply`, {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: '{"x":1}',
  });
  t.is(res.status, 400);
  t.is(JSON.parse(res.text).error.code, 'VALIDATION_FAILED');
});

test.serial("a winner's token is checked once, though the apply passes the sold-out answer and the lane", async (t) => {
  const eventId = await newEvent(sys, 5);
  const token = await sys.tokens.issue(randomEmail('once'));
  const verify = Tokens.prototype.verify;
  let checks = 0;
  Tokens.prototype.verify = function (this: Tokens, token: string) {
    checks++;
    return verify.call(this, token);
  };
  try {
    const won = await rawHttp(sys.url, 'POST', `/api/events/${eventId}/apply`, { headers: { Authorization: `Bearer ${token}` } });
    t.is(won.status, 202);
  } finally {
    Tokens.prototype.verify = verify;
  }
  t.is(checks, 1);
});

test('a refusal of an apply with a valid token answers alike before Koa and the long way', async (t) => {
  for (const path of [`/api/events/${randomEventId()}/apply`, `/api/events/${await newEvent(sys, 5, false)}/apply`]) {
    const { lane, long } = await both(path, randomEmail('refused'));
    t.is(lane.status, long.status, path);
    t.true(lane.status >= 400, `${path}: ${lane.status}`);
    t.is(lane.text, long.text);
    t.deepEqual(stable(lane.headers), stable(long.headers));
  }
});
