import test from 'ava';
import { Scripts } from '../core/adapters/redis/scripts.ts';
import { RestoreScripts } from '../core/adapters/redis/restore-scripts.ts';
import { rand, randomEmail, randomEventId } from './support/system.ts';
import { replicate, startRedisNode, type RedisNode } from './support/redis-server.ts';
import { until } from './support/wait.ts';

// A primary that its replicas stopped acknowledging is the one the Sentinels are about to depose (cut
// off, or frozen and resumed before it is told to follow the new primary). Its state may lack what the
// new primary has taken since (a stock raise, a released unit), so it must answer nobody, not even the
// answers that write nothing: a SOLD_OUT from it, while the new primary has stock, hands a later
// arrival the unit. min-replicas-to-write (docker-compose.prod.yml) refuses its writes; the scripts are
// declared as writers (`#!lua`, core/adapters/redis/lua-scripts.ts), so Redis refuses them whole.
const nodes: RedisNode[] = [];
test.after.always(() => {
  for (const n of nodes) n.stop();
});

test('a primary whose replicas stopped acknowledging answers no apply and no status, not even SOLD_OUT', async (t) => {
  t.timeout(60_000);
  const primary = await startRedisNode('--min-replicas-to-write', '1', '--min-replicas-max-lag', '2');
  const replica = await startRedisNode();
  nodes.push(primary, replica);
  await replicate(replica, primary);
  const prefix = `test-deposed-${rand()}`;
  const eventId = randomEventId();
  const gate = new Scripts(primary.redis, prefix);
  t.is(
    await new RestoreScripts(primary.redis, prefix).loadEvent(eventId, { state: 'open', opensAt: null, closesAt: null, total: 1 }, true),
    1,
  );
  const winner = randomEmail('winner');
  const [won] = await gate.applyMany(eventId, [winner], Date.now());
  if (won?.kind !== 'new') return t.fail(`expected a win, got ${won?.kind}`);
  t.deepEqual(await gate.confirm(eventId, [{ person: winner, ticket: won.ticket }]), [true]);
  t.is((await gate.apply(eventId, randomEmail('late'), Date.now())).kind, 'sold-out', 'while its replica acknowledges, it answers');
  t.is((await gate.standing(eventId, winner)).kind, 'won');

  replica.proc.kill('SIGSTOP');
  await until('the primary counts no good replica', async () =>
    /min_slaves_good_slaves:0/.test(await primary.redis.info('replication')) ? true : undefined,
  );
  await t.throwsAsync(gate.apply(eventId, randomEmail('later'), Date.now()), { message: /NOREPLICAS/ }, 'no SOLD_OUT from stale stock');
  await t.throwsAsync(gate.standing(eventId, winner), { message: /NOREPLICAS/ }, 'no standing from stale state');
  await t.throwsAsync(gate.setStock(eventId, 2), { message: /NOREPLICAS/ });

  replica.proc.kill('SIGCONT');
  await until('the replica acknowledges again', async () =>
    /min_slaves_good_slaves:1/.test(await primary.redis.info('replication')) ? true : undefined,
  );
  t.is((await gate.apply(eventId, randomEmail('back'), Date.now())).kind, 'sold-out', 'and answers again once it does');
});
