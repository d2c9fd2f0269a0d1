import test from 'ava';
import { ReplicasBehind, Scripts } from '../core/adapters/redis/scripts.ts';
import { RestoreScripts } from '../core/adapters/redis/restore-scripts.ts';
import { rand, randomEmail, randomEventId } from './support/system.ts';
import { replicate, startRedisNode, type RedisNode } from './support/redis-server.ts';

// A primary and its replica, real redis-server processes of the test's own. A replica frozen (SIGSTOP)
// is, to the primary, one cut off by a network partition: its connection stays open and goes silent.
const nodes: RedisNode[] = [];
test.after.always(() => {
  for (const n of nodes) n.stop();
});

test('with REDIS_CONFIRM_REPLICAS a win is announced only once a replica holds its confirm; the confirm stands on the primary for a retry', async (t) => {
  t.timeout(60_000);
  const [primary, replica] = [await startRedisNode(), await startRedisNode()];
  nodes.push(primary, replica);
  await replicate(replica, primary);
  const prefix = `test-replicas-${rand()}`;
  const eventId = randomEventId();
  t.is(
    await new RestoreScripts(primary.redis, prefix).loadEvent(eventId, { state: 'open', opensAt: null, closesAt: null, total: 5 }, true),
    5,
  );
  const gate = new Scripts(primary.redis, prefix, { confirmReplicas: 1 });
  const win = async (person: string) => {
    const g = await gate.apply(eventId, person, Date.now());
    if (g.kind !== 'new') throw new Error(`the gate answered ${g.kind}`);
    return { person, ticket: g.ticket };
  };

  t.deepEqual(await gate.confirm(eventId, [await win(randomEmail('a'))]), [true], 'the replica in reach acknowledges at once');

  replica.proc.kill('SIGSTOP');
  const cut = await win(randomEmail('cut'));
  const err = await t.throwsAsync(gate.confirm(eventId, [cut]));
  t.true(err instanceof ReplicasBehind, String(err));
  t.like(
    await gate.apply(eventId, cut.person, Date.now()),
    { kind: 'decided', ticket: cut.ticket },
    'the primary holds the confirm: a retry there is told WON',
  );

  replica.proc.kill('SIGCONT');
  t.deepEqual(await gate.confirm(eventId, [await win(randomEmail('b'))]), [true], 'back in reach');
});
