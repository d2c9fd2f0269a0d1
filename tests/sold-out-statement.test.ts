import test from 'ava';
import type { JSONWebKeySet } from 'jose';
import type { Redis } from 'ioredis';
import { startSystem, newEvent, randomEmail, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { checkSoldOut } from '../core/use-cases/proof/check-receipt.ts';
import { closeRedis, createRedis } from '../core/adapters/redis/client.ts';
import { eventKeys } from '../core/adapters/redis/keys.ts';

// Issue 22: every SOLD_OUT carries the event's one signed statement, also the gate's first ones while
// an API process reads a big event's winners into its sold-out board.
let sys: System;
let redis: Redis;
let jwks: JSONWebKeySet;
test.before(async () => {
  sys = await startSystem({ consumer: false });
  redis = createRedis(sys.config);
  jwks = (await http(sys.url, 'GET', '/.well-known/jwks.json')).body;
});
test.after.always(async () => {
  if (redis) await closeRedis(redis);
  await sys?.stop();
});

const apply = async (eventId: string, email: string) =>
  http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });

test.serial('the first SOLD_OUTs of an event with 500,000 winners carry its signed statement, as every one after them', async (t) => {
  const held = 500_000;
  const eventId = await newEvent(sys, held + 1);
  // 500,000 winners as the gate left them (written straight into Redis: the API would take minutes),
  // and one unit left.
  const k = eventKeys(sys.config.redisPrefix, eventId);
  const at = Date.now() - 60_000;
  for (let from = 0; from < held; from += 20_000) {
    const fields: string[] = [];
    for (let i = from; i < from + 20_000; i++) fields.push(`held-${i}@example.test`, `W|${i + 1}|${at + Math.floor(i / 100)}`);
    await redis.hset(k.decisions, ...fields);
  }
  await redis.set(k.remaining, 1);
  await redis.set(k.ticketSeq, held);

  const last = await apply(eventId, randomEmail());
  t.is(last.status, 202);
  t.is(last.body.ticket, held + 1);
  const answers = await Promise.all(Array.from({ length: 5 }, () => apply(eventId, randomEmail())));
  const statements = answers.map((a) => {
    t.is(a.status, 409);
    return a.body.error.details?.statement as string | undefined;
  });
  t.true(
    statements.every((s) => s !== undefined),
    `${statements.filter((s) => s === undefined).length} of the first 5 SOLD_OUTs had no statement`,
  );
  t.is(new Set(statements).size, 1, 'one statement');
  const checked = await checkSoldOut(statements[0]!, jwks);
  t.true(checked.ok, JSON.stringify(checked));
  if (!checked.ok) return;
  t.deepEqual(checked.claims, { v: 1, event: eventId, units: held + 1, lastTicket: held + 1, at: Date.parse(last.body.decidedAt) });
  // Once the board is read, it answers from memory with the same statement.
  for (let i = 0; i < 3; i++) t.is((await apply(eventId, randomEmail())).body.error.details?.statement, statements[0]);
});
