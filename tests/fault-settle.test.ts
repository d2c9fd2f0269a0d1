import test from 'ava';
import { startSystem, newEvent, type System } from './support/system.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { createKafka } from '../core/adapters/kafka/client.ts';
import { eventKeys } from '../core/adapters/redis/keys.ts';
import { redisState, settle, type CheckContext } from '../faults/check.ts';
import { testLog } from './support/system.ts';

/**
 * The fault suites judge an event once it settled (faults/check.ts settle). A random run judged one
 * while a promoted replica held the event as the old primary had stamped it, without its last writes:
 * the gate takes such a state for unknown (apply.lua: the meta's `server` is not this server) and a
 * process restores it within seconds, but the checker read its raw keys (2 reservations, the stock
 * raise missing) and called it broken. Settled now includes: the state is this server's.
 */
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

test('an event stamped by another Redis server has not settled; stamped by this one, it has', async (t) => {
  const eventId = await newEvent(sys, 3);
  const ctx: CheckContext = { config: sys.config, stores, kafka: createKafka({ ...sys.config.kafka, log: testLog() }) };
  const meta = eventKeys(sys.config.redisPrefix, eventId).meta;
  const own = await stores.redis.hget(meta, 'server');
  t.truthy(own);
  t.true((await redisState(ctx, eventId)).whole);
  t.true(await settle(ctx, eventId, [], 5_000), "this server's event, nothing waiting: settled");

  await stores.redis.hset(meta, 'server', 'a0a0a0/b1b1b1');
  t.false((await redisState(ctx, eventId)).whole);
  t.false(await settle(ctx, eventId, [], 2_000), "the old primary's copy is not settled");
  await stores.redis.hset(meta, 'server', own!);
});
