import test from 'ava';
import { Scripts } from '../core/adapters/redis/scripts.ts';
import { RestoreScripts } from '../core/adapters/redis/restore-scripts.ts';
import { rand, randomEmail, randomEventId } from './support/system.ts';
import { countedRestarts, replicate, startRedisNode, type RedisNode } from './support/redis-server.ts';

// Two real redis-server processes of its own, replication switched by hand (REPLICAOF) rather than by
// Sentinels, so that every step happens in a known order.
const nodes: RedisNode[] = [];
test.after.always(() => {
  for (const n of nodes) n.stop();
});

test('a primary demoted, resynced from a replica that lacked its last writes and promoted back does not take its events for whole', async (t) => {
  t.timeout(60_000);
  const [m1, r] = [await startRedisNode(), await startRedisNode()];
  nodes.push(m1, r);
  const prefix = `test-promotion-${rand()}`;
  const eventId = randomEventId();
  const on = (n: RedisNode) => ({ gate: new Scripts(n.redis, prefix), restore: new RestoreScripts(n.redis, prefix) });
  const watch = async (n: RedisNode) => {
    const { restarts, told } = countedRestarts(n.redis, prefix);
    await restarts.settled();
    await restarts.stop();
    return told();
  };

  await replicate(r, m1);
  t.is(await on(m1).restore.loadEvent(eventId, { state: 'open', opensAt: null, closesAt: null, total: 10 }, true), 10);
  t.is(await watch(m1), 0, 'the first server seen is no restart');
  t.is(await m1.redis.wait(1, 5_000), 1, 'the replica holds the event');

  // The replica is promoted (the primary froze); the primary's last decisions never reach it.
  await r.redis.replicaof('NO', 'ONE');
  const early = Array.from({ length: 4 }, () => randomEmail('early'));
  const taken = await on(m1).gate.applyMany(eventId, early, Date.now());
  t.true(taken.every((g) => g.kind === 'new'));
  t.deepEqual(
    await on(m1).gate.confirm(
      eventId,
      taken.map((g, i) => ({ person: early[i]!, ticket: g.kind === 'new' ? g.ticket : 0 })),
    ),
    [true, true, true, true],
    'four 202s',
  );

  // The old primary resyncs from the promoted replica (keeping its run_id), the replica dies before
  // this event was restored on it, and the old primary is promoted back.
  await replicate(m1, r);
  t.is(
    await m1.redis.get(on(m1).gate.keys(eventId).remaining),
    '10',
    "the resync replaced the primary's data: the four units are back in the stock",
  );
  r.proc.kill('SIGKILL');
  await m1.redis.replicaof('NO', 'ONE');

  const late = randomEmail('late');
  t.is((await on(m1).gate.apply(eventId, late, Date.now())).kind, 'no-event', 'nothing is decided against a stock that may be too high');
  t.is((await on(m1).gate.settle(eventId, [{ person: early[0]!, ticket: 1 }])).kind, 'missing', 'a consumer restores the event');
  await t.throwsAsync(on(m1).gate.setStock(eventId, 20), { message: /missing/ }, 'an admin change restores it first');
  t.is(
    (await on(m1).restore.beginRestore(eventId, {}, Date.now())).kind,
    'begun',
    'the restore begins rather than finding the event whole',
  );
  t.is(await watch(m1), 1, 'the first process to reconnect marks every event restoring');
});
