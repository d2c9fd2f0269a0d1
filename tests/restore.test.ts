import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopics, randomEmail, randomEventId, testConfig, testLog } from './support/system.ts';
import { produceRaw, commitGroupToEnd } from './support/kafka.ts';
import { until } from './support/wait.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { encodeApplications } from '../core/adapters/kafka/codec.ts';
import { RestoreScripts } from '../core/adapters/redis/restore-scripts.ts';
import type { Config } from '../core/platform/config.ts';
import type { Decision } from '../core/domain/decision.ts';
import { ProofLogRepo } from '../core/adapters/mysql/proof-log-repo.ts';
import { LogBuilder } from '../core/use-cases/proof/log-builder.ts';

// A restore after Redis lost an event, on real Redis, MySQL and Kafka. No consumer runs: the test plays
// it, writing the rows and committing the group's offsets itself, so it controls when Kafka is drained.
let config: Config;
let stores: Stores;
test.before(async () => {
  config = testConfig();
  await createTopics(config, 2);
  stores = openStores(config, testLog());
});
test.after.always(async () => {
  await stores?.close();
});

async function openEvent(total: number): Promise<string> {
  const id = randomEventId();
  await stores.events.create({ id, name: id, totalStock: total });
  await stores.events.open(id);
  return id;
}

/** Wins at the gate and sends the decisions to Kafka, as an API process does. */
async function win(eventId: string, persons: string[]): Promise<Decision[]> {
  const gate = await stores.scripts.applyMany(eventId, persons, Date.now());
  const out = gate.map((g, i): Decision => {
    if (g.kind !== 'new') throw new Error(`the gate answered ${g.kind}`);
    return { eventId, person: persons[i]!, email: persons[i]!, ticket: g.ticket, decidedAt: g.decidedAt };
  });
  await produceRaw(
    config,
    out.map((m) => encodeApplications([m])),
  );
  return out;
}

async function loseRedis(eventId: string): Promise<void> {
  const keys = await stores.redis.keys(`${config.redisPrefix}:{${eventId}}:*`);
  await stores.redis.del(...keys);
}

test.serial(
  'after Redis lost an event, the gate says RESTORING until the consumers persisted Kafka up to its offsets, then winners and stock are rebuilt exactly',
  async (t) => {
    const eventId = await openEvent(5);
    const persons = [randomEmail(), randomEmail(), randomEmail()];
    const decided = await win(eventId, persons);
    // The consumers persisted the first two; the third is still in Kafka when Redis loses everything.
    await stores.records.storeWinners(decided.slice(0, 2));
    await loseRedis(eventId);

    t.is(await stores.events.ensureLoaded(eventId), 'restoring');
    const marker = (await new RestoreScripts(stores.redis, config.redisPrefix).marker(eventId))!;
    t.is(
      Object.values(marker.ends).reduce((n, o) => n + Number(o), 0),
      3,
      "the marker holds the topic's end offsets",
    );
    t.deepEqual(await stores.scripts.apply(eventId, randomEmail(), Date.now()), { kind: 'restoring' });
    t.is(await stores.events.ensureLoaded(eventId), 'restoring');
    await sleep(1_500);
    t.true(await stores.restorer.isRestoring(eventId), 'not restored while a decision is still in Kafka');

    await stores.records.storeWinners(decided.slice(2));
    await commitGroupToEnd(config);
    t.true(await stores.restorer.waitRestored(eventId, 10_000));

    const k = stores.scripts.keys(eventId);
    t.deepEqual(Object.keys(await stores.redis.hgetall(k.decisions)).sort(), [...persons].sort(), 'every winner, the one in flight too');
    t.is(await stores.redis.get(k.remaining), '2');
    t.deepEqual(await stores.scripts.apply(eventId, persons[0]!, Date.now()), {
      kind: 'decided',
      ticket: 1,
      decidedAt: decided[0]!.decidedAt,
    });
    const next = await stores.scripts.apply(eventId, randomEmail(), Date.now());
    t.like(next, { kind: 'new', ticket: 4, gen: 1 }, 'tickets go on after the highest one, from the first restored state');
    t.is(await stores.mysql.generation(eventId), 1, "MySQL holds the live state's generation once it is live");
    t.is(await stores.events.ensureLoaded(eventId), 'loaded');
  },
);

test.serial('a restore whose driver died is taken over with the same marker', async (t) => {
  const eventId = await openEvent(3);
  const decided = await win(eventId, [randomEmail()]);
  await stores.records.storeWinners(decided);
  await commitGroupToEnd(config);
  await loseRedis(eventId);
  // Another process took the lease and died: it lapses.
  const scripts = new RestoreScripts(stores.redis, config.redisPrefix);
  t.true(await scripts.takeLease(eventId, 'a process that died', 1_500));
  const marker = await stores.restorer.begin(eventId);
  await sleep(1_000);
  t.true(await stores.restorer.isRestoring(eventId), 'not while the lease holds');
  t.true(await stores.restorer.waitRestored(eventId, 10_000));
  t.is(await stores.redis.get(stores.scripts.keys(eventId).remaining), '2');
  t.truthy(marker);
});

test.serial('an admin change waits for the restore; an unknown event is unknown; a new event needs no restore', async (t) => {
  const eventId = await openEvent(4);
  await loseRedis(eventId);
  await commitGroupToEnd(config);
  const snap = await stores.events.setStock(eventId, 6);
  t.is(snap.remainingStock, 6);
  t.is(await stores.events.ensureLoaded(randomEventId()), 'unknown');
  const fresh = await openEvent(2);
  t.is(await stores.restorer.isRestoring(fresh), false);
  t.is(await stores.redis.get(stores.scripts.keys(fresh).remaining), '2');
});

test.serial('an admin change on an event that stays restoring answers 503 STATE_RESTORING', async (t) => {
  const eventId = await openEvent(4);
  await win(eventId, [randomEmail()]);
  await loseRedis(eventId);
  // The decision in Kafka is never persisted: the restore waits.
  const err = await t.throwsAsync(stores.events.open(eventId));
  t.like(err, { status: 503, code: 'STATE_RESTORING' });
  await until('the restore finished once Kafka is drained', async () => {
    await commitGroupToEnd(config);
    return (await stores.restorer.isRestoring(eventId)) ? undefined : true;
  });
});

test.serial(
  'after a restore, every ticket no decision explains is released in the public log, which goes on past it to the last winner',
  async (t) => {
    const eventId = await openEvent(6);
    const [a, b, c, d] = [randomEmail(), randomEmail(), randomEmail(), randomEmail()];
    // The gate hands out tickets 1-4; the API of b (ticket 2) and of d (ticket 4) died before Kafka took them.
    const gate = await stores.scripts.applyMany(eventId, [a, b, c, d], Date.now());
    t.deepEqual(
      gate.map((g) => (g.kind === 'new' ? g.ticket : g.kind)),
      [1, 2, 3, 4],
    );
    const sent = [a, c].map((person): Decision => {
      const g = gate[person === a ? 0 : 2]!;
      if (g.kind !== 'new') throw new Error(g.kind);
      return { eventId, person, email: person, ticket: g.ticket, decidedAt: g.decidedAt };
    });
    await produceRaw(
      config,
      sent.map((m) => encodeApplications([m])),
    );
    await stores.records.storeWinners(sent);
    await commitGroupToEnd(config);
    // Redis loses the event before the sweeper gives tickets 2 and 4 back; its ticket sequence survives.
    const k = stores.scripts.keys(eventId);
    const keys = (await stores.redis.keys(`${config.redisPrefix}:{${eventId}}:*`)).filter((key) => key !== k.ticketSeq);
    await stores.redis.del(...keys);
    t.is(await stores.events.ensureLoaded(eventId), 'restoring');
    t.true(await stores.restorer.waitRestored(eventId, 10_000));

    const e = randomEmail();
    const next = await stores.scripts.apply(eventId, e, Date.now());
    if (next.kind !== 'new') return t.fail(next.kind);
    t.is(next.ticket, 5, 'new tickets come after every ticket the lost Redis handed out');
    await stores.records.storeWinners([{ eventId, person: e, email: e, ticket: 5, decidedAt: next.decidedAt }]);

    const repo = new ProofLogRepo(stores.sequelize);
    const builder = new LogBuilder(repo, Buffer.alloc(32, 1), testLog());
    while ((await builder.build(eventId)) > 0);
    const size = await repo.size(eventId);
    const decisions = (await repo.leaves(eventId, 0, size))
      .map((l) => JSON.parse(l) as { kind: string; ticket?: number; at: number })
      .filter((l) => l.ticket !== undefined);
    t.deepEqual(
      decisions.map((l) => `${l.kind}:${l.ticket}`),
      ['won:1', 'released:2', 'won:3', 'released:4', 'won:5'],
      'the log does not wait for ever at a ticket nobody will explain',
    );
    t.deepEqual(
      decisions.map((l) => l.at),
      [...decisions.map((l) => l.at)].sort((x, y) => x - y),
      'times still increase',
    );
  },
);
