import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { Scripts } from '../core/adapters/redis/scripts.ts';
import { RestoreScripts } from '../core/adapters/redis/restore-scripts.ts';
import { serverSeenKey } from '../core/adapters/redis/keys.ts';
import { rand, randomEmail, randomEventId } from './support/system.ts';
import { countedRestarts, primaryWithReplica, type RedisNode } from './support/redis-server.ts';
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
  const { primary, replica } = await primaryWithReplica();
  nodes.push(primary, replica);
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

test('a process that reaches a new primary while it still refuses writes notices the failover once it takes them', async (t) => {
  // After a failover, a process that connects to the promoted replica before its own replica follows it
  // meets NOREPLICAS on the swap of the server it saw last: it must look again, or no process is told
  // that every event may have lost its last writes.
  t.timeout(60_000);
  const { primary, replica } = await primaryWithReplica();
  nodes.push(primary, replica);
  const prefix = `test-deposed-${rand()}`;
  await primary.redis.set(serverSeenKey(prefix), 'another-server/another-history');
  replica.proc.kill('SIGSTOP');
  await until('the primary counts no good replica', async () =>
    /min_slaves_good_slaves:0/.test(await primary.redis.info('replication')) ? true : undefined,
  );
  const { restarts, told } = countedRestarts(primary.redis, prefix);
  await sleep(1_000);
  t.is(told(), 0, 'not while the swap is refused');
  replica.proc.kill('SIGCONT');
  await until('the failover noticed', async () => (told() > 0 ? true : undefined), 15_000).catch(() => {});
  await restarts.stop();
  t.is(told(), 1, 'told once, when the new primary took the swap');
});
