import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../infra/net.ts';
import { servicesDown, servicesUp } from '../../infra/index.ts';
import { managedPid } from '../../infra/process.ts';
import { primaryNode, redisNodes } from '../../infra/redis.ts';
import { ApiServer } from '../../server/process.ts';
import { openStores } from '../../core/stores.ts';
import { createKafka } from '../../core/adapters/kafka/client.ts';
import { encodeApplication } from '../../core/adapters/kafka/codec.ts';
import { eventKeys, gateChannel } from '../../core/adapters/redis/keys.ts';
import { decisionOf } from '../../core/adapters/redis/event-values.ts';
import { serverIdentity } from '../../core/adapters/redis/server-identity.ts';
import { burst } from '../../faults/burst.ts';
import { checkEvent, settle } from '../../faults/check.ts';
import { startSystem, newEvent, randomEmail, testLog, type System } from '../support/system.ts';
import { openStream, nextStanding } from '../support/sse.ts';
import { produceRaw } from '../support/kafka.ts';
import { until } from '../support/wait.ts';

// Redis with failover, as production runs it: a primary, two replicas and three Sentinels (real
// redis-server and redis-sentinel processes, under a TERNING_HOME of their own on free ports; the
// machine's Redis is never touched). Kafka and MySQL are the shared ones.
const home = mkdtempSync(join(tmpdir(), 'terning-sentinel-'));
let env: Record<string, string>;

test.before(async () => {
  const port = await freePort(2);
  const sentinels = [await freePort(), await freePort(), await freePort()];
  env = {
    TERNING_HOME: home,
    REDIS_URL: `redis://127.0.0.1:${port}`,
    REDIS_SENTINELS: sentinels.map((p) => `127.0.0.1:${p}`).join(','),
    REDIS_MASTER_NAME: 'terning-test',
    REDIS_CONFIRM_REPLICAS: '1',
  };
  Object.assign(process.env, env);
  await servicesUp({ only: ['redis'] });
});

test.after.always(async () => {
  await servicesDown({ only: ['redis'] }).catch(() => {});
  rmSync(home, { recursive: true, force: true });
});

function nodeClient(name: string): Redis {
  const n = redisNodes().find((x) => x.name === name)!;
  // It reconnects: a Sentinel drops the clients of the replica it promotes.
  const r = new Redis({ host: n.host, port: n.port });
  r.on('error', () => {});
  return r;
}

/**
 * What a failover that lost writes leaves: the replica never got the last `count` decisions. It is
 * made so by hand (a primary killed on this machine has nearly always sent everything): those winners
 * are taken out of the replica, their units put back in its stock, its ticket sequence set back.
 */
async function forget(replica: Redis, prefix: string, eventId: string, count: number): Promise<string[]> {
  const k = eventKeys(prefix, eventId);
  await replica.config('SET', 'replica-read-only', 'no');
  const decided = Object.entries(await replica.hgetall(k.decisions)).map(([person, v]) => ({ person, ticket: decisionOf(v)!.ticket }));
  decided.sort((a, b) => b.ticket - a.ticket);
  const last = decided.slice(0, count).map((d) => d.person);
  await replica
    .multi()
    .hdel(k.decisions, ...last)
    .hdel(k.reserved, ...last)
    .incrby(k.remaining, last.length)
    .set(k.ticketSeq, decided[count]?.ticket ?? 0)
    .exec();
  return last;
}

test('a failover while people apply: the API, the consumer and the subscriber follow the new primary, the writes it lost are restored from Kafka and MySQL, no 202 is lost and nothing is oversold', async (t) => {
  t.timeout(4 * 60_000);
  const sys: System = await startSystem({ env: { ...env, RESERVATION_TIMEOUT_SECONDS: '5' } });
  const second = new ApiServer(sys.config, testLog());
  const { url: secondUrl } = await second.start();
  const stores = openStores(sys.config, testLog());
  const kafka = createKafka({ ...sys.config.kafka, log: testLog() });
  const before = await primaryNode();
  const primary = nodeClient(before!);
  const replicas = redisNodes()
    .filter((n) => n.name !== before)
    .map((n) => ({ name: n.name, redis: nodeClient(n.name) }));
  try {
    const stock = 50;
    const eventId = await newEvent(sys, stock);
    const k = eventKeys(sys.config.redisPrefix, eventId);
    const oldServer = await serverIdentity(primary);
    // A primary cut off from both replicas stops taking writes (infra/redis.ts).
    t.deepEqual(await primary.config('GET', 'min-replicas-to-write'), ['min-replicas-to-write', '1']);
    t.is(replicas.length, 2);
    const people = await Promise.all(
      Array.from({ length: 120 }, async () => {
        const email = randomEmail('fo');
        return { email, token: await sys.tokens.issue(email) };
      }),
    );
    const running = burst({ urls: () => [sys.url, secondUrl], eventId, people, spreadMs: 8_000, deadlineMs: 150_000 });

    await until('a third of the stock taken', async () => ((await primary.hlen(k.decisions)) >= stock / 3 ? true : undefined), 30_000);
    // Which replica the Sentinels promote is theirs to choose: both miss the same last decisions.
    const forgotten = [...new Set((await Promise.all(replicas.map((r) => forget(r.redis, sys.config.redisPrefix, eventId, 5)))).flat())];
    process.kill(managedPid(before!, 'redis-server')!, 'SIGKILL');
    const killedAt = Date.now();
    const after = await until(
      'the Sentinels promoted a replica',
      async () => {
        const now = await primaryNode();
        return now !== before ? now : undefined;
      },
      60_000,
    );
    const replica = replicas.find((r) => r.name === after)!.redis;
    const promotedAfter = Date.now() - killedAt;

    const b = await running;
    t.true(
      await settle({ config: sys.config, stores, kafka }, eventId, b.won.keys(), 120_000),
      'settled: every 202 persisted, no lag, no reservation, no restore under way',
    );
    const outcome = await checkEvent({ config: sys.config, stores, kafka }, eventId, stock, b);
    t.log(
      `promoted ${(promotedAfter / 1000).toFixed(1)} s after the kill; ${b.won.size} won, ${b.soldOut.size} sold out, retried ${JSON.stringify([...b.retried])}`,
    );
    t.like(
      outcome,
      { lost: 0, duplicates: 0, oversold: 0, undersold: 0, outOfOrder: 0, unanswered: 0, stuck: 0 },
      outcome.notes.join('\n'),
    );
    t.is(b.won.size, stock, 'every unit won, once');
    t.true(
      forgotten.every((p) => b.won.has(p)),
      'the winners the replica never heard of were told WON, and are winners still',
    );

    // Restored on the new primary: only a restore (or a new event) names the server the state is whole on.
    const newServer = (await serverIdentity(replica))!;
    t.not(newServer, oldServer);
    t.is(await replica.hget(k.meta, 'server'), newServer, 'the event was restored from MySQL on the new primary');
    const winners = await replica.hgetall(k.decisions);
    t.true(
      forgotten.every((p) => winners[p] !== undefined && decisionOf(winners[p]) !== null),
      'what the failover lost is back',
    );

    // Every API process's subscriber is on the new primary (the old one is dead), and a result stream
    // opened now hears the consumer's announcement through it.
    const [, subscribers] = (await replica.pubsub('NUMSUB', gateChannel(sys.config.redisPrefix))) as [string, number];
    t.is(Number(subscribers), 2, 'both API processes listen on the new primary');
    const late = await newEvent(sys, 1);
    const email = randomEmail('late');
    const [gate] = await stores.scripts.applyMany(late, [email], Date.now());
    if (gate?.kind !== 'new') return t.fail(`expected a reservation, got ${gate?.kind}`);
    const stream = await openStream(
      `${sys.url}/api/events/${late}/status/stream?access_token=${encodeURIComponent(await sys.tokens.issue(email))}`,
    );
    t.is((await nextStanding(stream)).status, 'PENDING');
    await produceRaw(sys.config, [
      encodeApplication({ eventId: late, person: email, email, ticket: gate.ticket, decidedAt: gate.decidedAt }),
    ]);
    t.like(await nextStanding(stream, 30_000), { status: 'WON', ticket: gate.ticket });
  } catch (e) {
    t.log((e as Error).stack);
    throw e;
  } finally {
    primary.disconnect();
    for (const r of replicas) r.redis.disconnect();
    for (const r of await Promise.allSettled([second.stop(), sys.stop(), stores.close()]))
      if (r.status === 'rejected') t.log(`stopping: ${r.reason}`);
  }
});
