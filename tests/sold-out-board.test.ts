import test, { type ExecutionContext } from 'ava';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Scripts } from '../core/adapters/redis/scripts.ts';
import { Subscriber } from '../core/adapters/redis/subscriber.ts';
import { SoldOutBoard } from '../core/adapters/redis/sold-out-board.ts';
import { eventKeys, gateChannel } from '../core/adapters/redis/keys.ts';
import { serverIdentity } from '../core/adapters/redis/server-identity.ts';
import { JwsSigner, jwksOf } from '../core/adapters/keys/jws.ts';
import { newKeysFile, parseProofKeys } from '../core/adapters/keys/proof-keys.ts';
import { Applications } from '../core/use-cases/participant/apply.ts';
import { Receipts } from '../core/use-cases/proof/receipts.ts';
import { checkSoldOut } from '../core/use-cases/proof/check-receipt.ts';
import { AppError } from '../core/platform/errors.ts';
import { loadConfig } from '../core/platform/config.ts';
import { rand, randomEmail, testLog } from './support/system.ts';
import { until } from './support/wait.ts';

// Issue 22: every SOLD_OUT carries the event's signed statement, also those the gate gives while the
// API's sold-out board can not be trusted: its subscription down, or a read of it overtaken by news.
// The board and the apply use case on real Redis, each test under its own random key prefix; the
// subscriber reaches Redis through a proxy the test can cut, as a network fault would.
const redis = new Redis(loadConfig().redisUrl);
const prefixes: string[] = [];
test.after.always(async () => {
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}:*`);
    for (let i = 0; i < keys.length; i += 1_000) await redis.del(...keys.slice(i, i + 1_000));
  }
  redis.disconnect();
});

/** A TCP proxy to Redis: `cut()` drops its connections and refuses new ones. */
async function proxyToRedis(t: ExecutionContext) {
  const target = new URL(loadConfig().redisUrl);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => {
    server.close();
    for (const s of sockets) s.destroy();
  };
  t.teardown(cut);
  return { url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`, cut };
}

async function setUp(t: ExecutionContext) {
  const prefix = `test-board-${rand()}`;
  prefixes.push(prefix);
  const keys = parseProofKeys(newKeysFile(), 'test');
  const receipts = new Receipts(new JwsSigner(keys), keys.nonceSecret);
  const proxy = await proxyToRedis(t);
  const viaProxy = new Redis(proxy.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  viaProxy.on('error', () => {});
  const subscriber = new Subscriber(viaProxy, `${prefix}:subscriber`, testLog());
  let gaps = 0;
  subscriber.onGap(() => gaps++);
  const board = new SoldOutBoard(redis, prefix, subscriber, testLog(), (facts) => receipts.soldOut(facts));
  await board.start();
  t.teardown(async () => {
    proxy.cut();
    await subscriber.close();
    viaProxy.disconnect();
  });
  const scripts = new Scripts(redis, prefix);
  // The sold-out path needs no Kafka, MySQL or operator: none of them is called.
  const applications = new Applications(scripts, {} as never, {} as never, {} as never, testLog(), board, receipts);
  /** The subscription cut, and the cut heard (the board wiped): what a process lives through while it is down. */
  const subscriptionDown = async () => {
    proxy.cut();
    await until('the subscription gap heard', async () => (gaps > 0 ? true : undefined), 5_000, 10);
  };
  /** The AppError an apply was refused with. */
  const refused = async (eventId: string, person = randomEmail('late')) => {
    const e = await applications.apply(eventId, person, person).then(
      (ok) => t.fail(`applied: ${JSON.stringify(ok)}`),
      (err: unknown) => err,
    );
    if (!(e instanceof AppError)) throw e;
    return e;
  };
  /** The statement a refusal carries, checked against the key set; its claims. */
  const statementOf = async (e: AppError) => {
    t.is(e.code, 'SOLD_OUT');
    const statement = (e.details as { statement?: string } | undefined)?.statement;
    if (statement === undefined) return t.fail('the SOLD_OUT carries no statement');
    const checked = await checkSoldOut(statement, jwksOf(keys));
    if (!checked.ok) return t.fail(checked.problem);
    return checked.claims;
  };
  return { prefix, scripts, subscriptionDown, refused, statementOf };
}

/** An open event as Redis holds it, written directly: the API would load it from MySQL. */
async function openEvent(prefix: string, total: number) {
  const eventId = `ev-${rand()}`;
  const k = eventKeys(prefix, eventId);
  await redis.hset(k.meta, { state: 'open', total, server: (await serverIdentity(redis))! });
  await redis.set(k.remaining, total);
  return eventId;
}

test('a SOLD_OUT the gate gives while the subscription is down carries the signed statement', async (t) => {
  const { prefix, scripts, subscriptionDown, refused, statementOf } = await setUp(t);
  const eventId = await openEvent(prefix, 2);
  await subscriptionDown();
  // It sells out while this process hears nothing: its board knows nothing of the event.
  const won = await scripts.applyMany(eventId, [randomEmail('won'), randomEmail('won')], Date.now());
  t.deepEqual(
    won.map((w) => w.kind),
    ['new', 'new'],
  );
  const at = (won[1] as { decidedAt: number }).decidedAt;
  for (let i = 0; i < 3; i++) t.deepEqual(await statementOf(await refused(eventId)), { v: 1, event: eventId, units: 2, lastTicket: 2, at });
});

test('a SOLD_OUT the gate gives while the board reads 100,000 winners, and news comes meanwhile, carries the statement', async (t) => {
  const { prefix, scripts, refused, statementOf } = await setUp(t);
  // Sold out by the operator's stock set: the moment is read with the winners, which takes longer than
  // the 100 ms the gate's SOLD_OUT used to wait for it.
  const eventId = await openEvent(prefix, 100_001);
  const k = eventKeys(prefix, eventId);
  const at = Date.now() - 60_000;
  for (let from = 0; from < 100_000; from += 20_000) {
    const fields: string[] = [];
    for (let i = from; i < from + 20_000; i++) fields.push(`held-${i}@example.test`, `W|${i + 1}|${at + Math.floor(i / 100)}`);
    await redis.hset(k.decisions, ...fields);
  }
  await redis.set(k.ticketSeq, 100_000);
  await redis.set(k.remaining, 1);
  t.like(await scripts.setStock(eventId, 100_000), { ok: true, remaining: 0 });
  const started = Date.now();
  const pending = refused(eventId);
  // News on the gate channel while the board reads the winners: the board throws its read away.
  await new Promise((resolve) => setTimeout(resolve, 20));
  await redis.publish(gateChannel(prefix), `moved ${eventId}`);
  const claims = await statementOf(await pending);
  t.log(`the first SOLD_OUT answered in ${Date.now() - started} ms`);
  t.deepEqual(claims, { v: 1, event: eventId, units: 100_000, lastTicket: 100_000, at: at + 999 });
});
