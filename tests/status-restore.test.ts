import test, { type ExecutionContext } from 'ava';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { http, type Answer } from './support/http.ts';
import { openStream } from './support/sse.ts';
import { produceRaw, commitGroupToEnd } from './support/kafka.ts';
import { until } from './support/wait.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { encodeApplications } from '../core/adapters/kafka/codec.ts';
import type { Decision } from '../core/domain/decision.ts';

// A participant's status while their event is restored. No consumer runs: the test persists the
// records itself, so a winner's record stays in Kafka's backlog for as long as it needs.
let sys: System;
let stores: Stores;
test.before(async () => {
  sys = await startSystem({ consumer: false });
  stores = openStores(sys.config, testLog());
});
test.after.always(async () => {
  await stores?.close();
  await sys?.stop();
});

/** Wins at the gate and sends the decisions to Kafka, as an API process does (202 answered). */
async function win(eventId: string, persons: string[]): Promise<Decision[]> {
  const gate = await stores.scripts.applyMany(eventId, persons, Date.now());
  const out = gate.map((g, i): Decision => {
    if (g.kind !== 'new') throw new Error(`the gate answered ${g.kind}`);
    return { eventId, person: persons[i]!, email: persons[i]!, ticket: g.ticket, decidedAt: g.decidedAt };
  });
  await produceRaw(
    sys.config,
    out.map((m) => encodeApplications([m])),
  );
  await stores.scripts.confirm(eventId, out);
  return out;
}

const status = async (eventId: string, person: string) =>
  http(sys.url, 'GET', `/api/events/${eventId}/status`, { token: await sys.tokens.issue(person) });
const stream = async (eventId: string, person: string) =>
  openStream(`${sys.url}/api/events/${eventId}/status/stream?access_token=${encodeURIComponent(await sys.tokens.issue(person))}`);

function restoring(t: ExecutionContext, a: { status: number; headers: Headers; body?: { error?: { code?: string } } }, who: string) {
  t.is(a.status, 503, `${who}: ${JSON.stringify(a.body)}`);
  t.is(a.body?.error?.code, 'STATE_RESTORING', who);
  t.is(a.headers.get('retry-after'), '1', who);
}

const won = (t: ExecutionContext, a: Answer, m: Decision, who: string) =>
  t.like({ status: a.status, body: a.body }, { status: 200, body: { status: 'WON', ticket: m.ticket } }, who);

test.serial(
  'while Redis lost an event, a winner whose record is still in Kafka is never told NOT_APPLIED: 503 STATE_RESTORING until the restore, WON after',
  async (t) => {
    const eventId = await newEvent(sys, 5);
    const [persisted, inBacklog] = await win(eventId, [randomEmail('persisted'), randomEmail('backlog')]);
    await stores.records.storeWinners([persisted!]);
    const keys = await stores.redis.keys(`${sys.config.redisPrefix}:{${eventId}}:*`);
    await stores.redis.del(...keys);

    restoring(t, await status(eventId, inBacklog!.person), 'the winner in the backlog asks for the status');
    restoring(t, await stream(eventId, inBacklog!.person), 'the winner in the backlog opens the stream');
    t.true(await stores.restorer.isRestoring(eventId), 'asking began the restore');
    won(t, await status(eventId, persisted!.person), persisted!, 'a winner in MySQL is WON during the restore');
    restoring(t, await status(eventId, randomEmail('never')), 'nobody is told NOT_APPLIED while Redis cannot say');

    await stores.records.storeWinners([inBacklog!]);
    await commitGroupToEnd(sys.config);
    await until('restored', async () => ((await stores.restorer.isRestoring(eventId)) ? undefined : true), 30_000);
    won(t, await status(eventId, inBacklog!.person), inBacklog!, 'after the restore');
    t.is(
      (await status(eventId, randomEmail('never'))).body.error.code,
      'NOT_APPLIED',
      'after the restore, someone who never applied is told so',
    );
  },
);

test.serial(
  'an event made on another Redis server (a failover that may have lost the last decisions) answers 503 for anyone Redis does not know as a winner',
  async (t) => {
    const eventId = await newEvent(sys, 5);
    const [kept, lost] = await win(eventId, [randomEmail('kept'), randomEmail('lost')]);
    // What a promoted replica holds: every key but the last decision, written by another server.
    const k = stores.scripts.keys(eventId);
    await stores.redis.multi().hdel(k.decisions, lost!.person).incr(k.remaining).hset(k.meta, 'server', 'f'.repeat(40)).exec();

    won(t, await status(eventId, kept!.person), kept!, 'a confirmed winner Redis holds is WON');
    restoring(t, await status(eventId, lost!.person), 'the winner the replica never heard of');
    restoring(t, await stream(eventId, lost!.person), 'their stream');

    await stores.records.storeWinners([kept!, lost!]);
    await commitGroupToEnd(sys.config);
    await until('restored', async () => ((await stores.restorer.isRestoring(eventId)) ? undefined : true), 30_000);
    won(t, await status(eventId, lost!.person), lost!, 'after the restore');
  },
);

test.serial('an unknown event is NOT_APPLIED, as before', async (t) => {
  const a = await http(sys.url, 'GET', '/api/events/no-such-event-here/status', { token: await sys.tokens.issue(randomEmail()) });
  t.is(a.status, 404);
  t.is(a.body.error.code, 'NOT_APPLIED');
});
