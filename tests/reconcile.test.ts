import test from 'ava';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows } from './support/db.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { totalLag } from '../core/adapters/kafka/offsets.ts';
import { reconcile } from '../core/use-cases/operator/reconcile.ts';
import { describeReport } from '../cli/commands/reconcile.ts';
import type { Config } from '../core/platform/config.ts';

let sys: System;
let stores: Stores;
/** reconcile's view: a reservation is stuck after a second (the consumer's sweeper waits an hour). */
let config: Config;
test.before(async () => {
  sys = await startSystem({ consumer: { sendEmails: false, retryBaseMs: 50 }, env: { RESERVATION_TIMEOUT_SECONDS: '3600' } });
  stores = openStores(sys.config);
  config = { ...sys.config, reservationTimeoutSeconds: 1 };
});
test.after.always(async () => {
  await stores?.close();
  await sys?.stop();
});

const apply = async (eventId: string, email: string) =>
  http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });

/** An event with `people` applicants through the API, every winner persisted and the group without lag. */
async function settledEvent(stock: number, people: number): Promise<{ eventId: string; winners: string[] }> {
  const eventId = await newEvent(sys, stock);
  const winners: string[] = [];
  for (let i = 0; i < people; i++) {
    const email = randomEmail('rec');
    const a = await apply(eventId, email);
    if (a.status === 202) winners.push(email);
    else if (a.status !== 409) throw new Error(`apply answered ${a.status} ${JSON.stringify(a.body)}`);
  }
  await until(
    'every winner persisted, no lag',
    async () =>
      (await applicationRows(sys.config, eventId)).length === winners.length && totalLag(await stores.offsets.progress()) === 0
        ? true
        : undefined,
    30_000,
  );
  return { eventId, winners };
}

test.serial('a settled event is reported consistent', async (t) => {
  const { eventId } = await settledEvent(3, 4);
  const { report } = (await reconcile(config, stores, eventId))!;
  t.true(report.clean, describeReport(report).join('\n'));
  t.like(report, {
    totalStock: 3,
    winnersMysql: 3,
    winnersRedis: 3,
    reserved: 0,
    remaining: 0,
    expectedRemaining: 0,
    stockDifference: 0,
    restoring: null,
  });
  t.deepEqual([report.redisOnly, report.mysqlOnly, report.stuck], [[], [], []]);
});

test.serial('report and --fix: a wrong stock, a winner only in Redis, one only in MySQL, a stuck reservation', async (t) => {
  const { eventId, winners } = await settledEvent(4, 2);
  const k = stores.scripts.keys(eventId);
  await stores.redis.set(k.remaining, 5);
  const ghost = randomEmail('ghost');
  await stores.redis.hset(k.decisions, ghost, `W|99|${Date.now()}`);
  await stores.redis.hdel(k.decisions, winners[0]!);
  const stuck = randomEmail('stuck');
  await stores.redis.hset(k.decisions, stuck, `W|7|${Date.now() - 60_000}`);
  await stores.redis.hset(k.reserved, stuck, `7|${Date.now() - 60_000}`);

  const { report, restored, after } = (await reconcile(config, stores, eventId, { fix: true }))!;
  t.false(report.clean);
  t.like(report, { winnersRedis: 3, winnersMysql: 2, expectedRemaining: 1, stockDifference: 4 });
  t.deepEqual(report.redisOnly, [ghost]);
  t.deepEqual(report.mysqlOnly, [winners[0]]);
  t.deepEqual(
    report.stuck.map((s) => [s.person, s.ticket]),
    [[stuck, 7]],
  );
  t.true(restored);
  t.true(after!.clean, describeReport(after!).join('\n'));
  t.deepEqual(Object.keys(await stores.redis.hgetall(k.decisions)).sort(), [...winners].sort(), "exactly MySQL's winners");
  t.is(await stores.redis.get(k.remaining), '2');
  const again = await apply(eventId, winners[0]!);
  t.is(again.status, 200, 'a winner applying again gets the restored decision');
  t.is(again.body.status, 'WON');
});

test.serial(
  'Redis loses an event: the gate answers 503 STATE_RESTORING until it is restored, then every winner and the stock are back',
  async (t) => {
    const { eventId, winners } = await settledEvent(3, 2);
    const keys = await stores.redis.keys(`${sys.config.redisPrefix}:{${eventId}}:*`);
    await stores.redis.del(...keys);
    const newcomer = randomEmail('new');
    const first = await apply(eventId, newcomer);
    t.is(first.status, 503);
    t.is(first.body.error.code, 'STATE_RESTORING');
    t.is(first.headers.get('retry-after'), '1');
    const answer = await until(
      'restored',
      async () => {
        const a = await apply(eventId, newcomer);
        return a.status === 503 ? undefined : a;
      },
      20_000,
      200,
    );
    t.is(answer.status, 202);
    t.is(answer.body.ticket, 3, 'tickets go on after the restored ones');
    const repeat = await apply(eventId, winners[1]!);
    t.like(repeat, { status: 200, body: { status: 'WON' } });
    t.is((await apply(eventId, randomEmail('late'))).status, 409, 'the stock is total - winners: sold out');
  },
);
