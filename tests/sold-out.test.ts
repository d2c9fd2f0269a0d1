import test from 'ava';
import { Redis } from 'ioredis';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { eventCommandsDuring } from './support/redis-monitor.ts';
import { ApiServer } from '../server/process.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { eventKeys } from '../core/adapters/redis/keys.ts';
import { loadConfig } from '../core/platform/config.ts';

// Two API processes on one Redis, no consumer: a winner's 202 needs Kafka's ack and Redis, not a consumer.
let sys: System;
let second: ApiServer;
let secondUrl: string;
let stores: Stores;
const redis = new Redis(loadConfig().redisUrl);
test.before(async () => {
  sys = await startSystem({ consumer: false });
  second = new ApiServer(sys.config, testLog());
  secondUrl = (await second.start()).url;
  stores = openStores(sys.config);
});
test.after.always(async () => {
  await second?.stop();
  await sys?.stop();
  await stores?.close();
  redis.disconnect();
});

const apis = () => [sys.url, secondUrl];

async function apply(url: string, eventId: string, email = randomEmail('crowd')) {
  const res = await http(url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });
  return { status: res.status, code: res.body?.error?.code as string | undefined, ticket: res.body?.ticket as number | undefined, email };
}

const commandsDuring = (eventId: string, fn: () => Promise<unknown>) =>
  eventCommandsDuring(sys.config.redisUrl, sys.config.redisPrefix, eventId, fn);

/** Waits until both API processes answer a newcomer SOLD_OUT without asking Redis. */
async function answeredFromMemory(t: { log: (...a: unknown[]) => void }, eventId: string) {
  await until(
    'both API processes answering SOLD_OUT from memory',
    async () => {
      const seen = await commandsDuring(eventId, async () => {
        for (const url of apis()) {
          const r = await apply(url, eventId);
          if (r.code !== 'SOLD_OUT') throw new Error(`apply answered ${r.status} ${r.code}`);
        }
      });
      if (seen.length) t.log(`still asking Redis: ${seen[0]}`);
      return seen.length === 0 ? true : undefined;
    },
    5_000,
    100,
  );
}

async function soldOutEvent(t: { log: (...a: unknown[]) => void }, stock: number) {
  const eventId = await newEvent(sys, stock);
  const winners = [];
  for (let i = 0; i < stock; i++) {
    const w = await apply(apis()[i % 2]!, eventId);
    if (w.status !== 202) throw new Error(`winner ${i} answered ${w.status} ${w.code}`);
    winners.push(w);
  }
  await answeredFromMemory(t, eventId);
  return { eventId, winners };
}

test.serial('once sold out, both processes answer SOLD_OUT with no Redis command for the event, and WON to a winner', async (t) => {
  const { eventId, winners } = await soldOutEvent(t, 3);
  const answers: { status: number; code?: string; ticket?: number }[] = [];
  const seen = await commandsDuring(eventId, async () => {
    for (const url of apis()) {
      for (let i = 0; i < 20; i++) answers.push(await apply(url, eventId));
    }
  });
  t.deepEqual(seen, []);
  t.is(answers.filter((a) => a.status === 409 && a.code === 'SOLD_OUT').length, 40);
  // The board keeps no winner's decision: a winner pressing again is answered by the gate.
  const repeats = [];
  for (const url of apis()) for (const w of winners.slice(0, 2)) repeats.push(await apply(url, eventId, w.email));
  t.deepEqual(
    repeats.map((a) => [a.status, a.ticket]).sort(),
    [
      [200, 1],
      [200, 1],
      [200, 2],
      [200, 2],
    ],
    'each winner pressing again is told WON with their ticket, by either process',
  );
  for (const url of apis()) {
    const last = await apply(url, eventId, winners[2]!.email);
    t.deepEqual([last.status, last.ticket], [200, 3]);
  }
});

test.serial('a winner whose hand-off Kafka never confirmed still goes to the gate, and is sent again', async (t) => {
  const eventId = await newEvent(sys, 2);
  const first = await apply(sys.url, eventId);
  t.is(first.status, 202);
  // The second unit reserved and never handed to Kafka, as by an API process killed after the gate.
  const held = randomEmail('held');
  const [gate] = await stores.scripts.applyMany(eventId, [held], Date.now());
  t.is(gate!.kind, 'new');
  await answeredFromMemory(t, eventId);
  let again: Awaited<ReturnType<typeof apply>> | undefined;
  const seen = await commandsDuring(eventId, async () => {
    again = await apply(secondUrl, eventId, held);
  });
  t.deepEqual([again!.status, again!.ticket], [200, 2], 'told WON: the decision was sent to Kafka again and confirmed');
  t.true(
    seen.some((c) => c.includes('"HDEL"') && c.includes(':reserved')),
    'the gate was asked, and the reservation confirmed',
  );
});

test.serial('a stock increase made by another process reopens applying in both within a moment', async (t) => {
  const { eventId } = await soldOutEvent(t, 1);
  // set-stock.lua alone, as the admin call runs it (the admin call also puts the settings first).
  t.like(await stores.scripts.setStock(eventId, 3), { ok: true, remaining: 2 });
  const started = Date.now();
  for (const url of apis()) {
    const won = await until(
      'a newcomer winning',
      async () => {
        const r = await apply(url, eventId);
        return r.status === 202 ? r : undefined;
      },
      2_000,
      20,
    );
    t.true(won.ticket === 2 || won.ticket === 3);
  }
  t.log(`reopened after ${Date.now() - started} ms`);
  await answeredFromMemory(t, eventId);
});

test.serial('the admin API raising the stock reopens applying', async (t) => {
  const { eventId } = await soldOutEvent(t, 1);
  const raised = await http(secondUrl, 'POST', `/api/admin/events/${eventId}/stock`, { adminKey: sys.config.adminKey, body: { count: 2 } });
  t.is(raised.status, 200, JSON.stringify(raised.body));
  const won = await until(
    'a newcomer winning',
    async () => {
      const r = await apply(sys.url, eventId);
      return r.status === 202 ? r : undefined;
    },
    2_000,
    20,
  );
  t.is(won.ticket, 2);
});

test.serial('a released unit reopens applying in every process within a moment', async (t) => {
  const eventId = await newEvent(sys, 2);
  t.is((await apply(sys.url, eventId)).status, 202);
  const held = randomEmail('held');
  const [gate] = await stores.scripts.applyMany(eventId, [held], Date.now());
  await answeredFromMemory(t, eventId);
  t.true(
    gate!.kind === 'new' &&
      (await stores.scripts.revoke(eventId, held, gate!.ticket)) &&
      (await stores.scripts.release(eventId, gate!.ticket)),
  );
  const won = await until(
    'a newcomer winning the released unit',
    async () => {
      const r = await apply(apis()[Math.floor(Math.random() * 2)]!, eventId);
      return r.status === 202 ? r : undefined;
    },
    2_000,
    20,
  );
  t.is(won.ticket, 3);
  await answeredFromMemory(t, eventId);
});

test.serial(
  'when the subscriber connection drops, the board is wiped, Redis asked again, and the board rebuilt after resubscribing',
  async (t) => {
    const { eventId } = await soldOutEvent(t, 1);
    // A unit comes back without a word on the gate channel: what a process could miss while its
    // subscriber connection is down.
    await redis.incr(eventKeys(sys.config.redisPrefix, eventId).remaining);
    t.is((await apply(sys.url, eventId)).code, 'SOLD_OUT', 'the board does not know of it yet');
    // Only this file's subscribers: other tests share the Redis.
    const clients = ((await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string).split('\n');
    const ours = clients.filter((c) => c.includes(` name=${sys.config.redisPrefix}:subscriber `)).map((c) => /\bid=(\d+)/.exec(c)![1]!);
    t.is(ours.length, 2);
    for (const id of ours) await redis.client('KILL', 'ID', id);
    const won = await until(
      'a newcomer winning the unit',
      async () => {
        const r = await apply(sys.url, eventId);
        return r.status === 202 ? r : undefined;
      },
      3_000,
      20,
    );
    t.is(won.ticket, 2);
    await answeredFromMemory(t, eventId);
  },
);
