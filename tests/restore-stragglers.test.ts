import test from 'ava';
import { luaScripts } from './support/lua.ts';
import { RestoreScripts } from '../core/adapters/redis/restore-scripts.ts';
import { persistBatch, type ReadDecision } from '../core/use-cases/persistence/persist.ts';
import type { Decision } from '../core/domain/decision.ts';
import type { GateResult, Scripts } from '../core/adapters/redis/scripts.ts';

// A decision that reached Kafka after a restore read its offsets was confirmed by nobody: its API met
// the rebuilt state, answered 503, and the unit went to someone else. Consumers that lag (a big drop's
// backlog) may not have judged it yet when a second restore begins (a failover, a state lost again),
// whose offsets are read later and lie above it. Real Redis and the consumers' use case; MySQL and
// Kafka are the lists here: what the decisions are and where they sit is all that is judged.
const { redis, scripts } = luaScripts(test, 'stragglers');
const settings = { state: 'open' as const, opensAt: null, closesAt: null, total: 1 };

function gateOf(): { s: Scripts; r: RestoreScripts } {
  const s = scripts();
  const k = s.keys('e');
  return { s, r: new RestoreScripts(redis, k.meta.slice(0, k.meta.indexOf(':{'))) };
}

const decided = (person: string, g: GateResult): Decision => {
  if (g.kind !== 'new') throw new Error(`expected a new decision for ${person}, got ${g.kind}`);
  return { eventId: 'e', person, email: person, ticket: g.ticket, decidedAt: g.decidedAt, ...('gen' in g ? { gen: g.gen } : {}) };
};

test('a decision confirmed by nobody, judged only under a later restore, is void: the stock is not handed out twice', async (t) => {
  const { s, r } = gateOf();
  const mysql: Decision[] = [];
  const records = {
    storeWinners: async (ws: Decision[]) => void mysql.push(...ws.filter((w) => !mysql.some((m) => m.person === w.person))),
    deadLettered: async () => new Map<string, number>(),
  };
  t.is(await r.loadEvent('e', settings, true), 1);

  // The first state: x takes the one unit; its API's send to Kafka is slow.
  const now = Date.now();
  const x = decided('x@stragglers.test', await s.apply('e', 'x@stragglers.test', now));

  // The state is lost; a restore reads the topic's end (offset 5) and rebuilds from MySQL (no winner).
  await redis.del(s.keys('e').meta, s.keys('e').remaining);
  const first = await r.beginRestore('e', { 0: '5' }, now + 1, false, 0);
  if (first.kind !== 'begun') return t.fail(first.kind);
  t.like(await r.finishRestore('e', first.marker, { ...settings, maxTicket: 0, gen: 1, winners: 0 }), { finished: true, remaining: 1 });

  // x's record lands at offset 5, above that end: x's confirm meets the rebuilt state and is refused (503).
  const xRead: ReadDecision = { application: x, partition: 0, offset: '5' };
  t.deepEqual(await s.confirm('e', [{ person: x.person, ticket: x.ticket }]), [false], 'x is told 503');
  // y takes the unit on the rebuilt state, and is told 202.
  const y = decided('y@stragglers.test', await s.apply('e', 'y@stragglers.test', now + 2));
  const yRead: ReadDecision = { application: y, partition: 0, offset: '6' };
  t.deepEqual(await s.confirm('e', [{ person: y.person, ticket: y.ticket }]), [true], 'y is told 202');

  // A second restore (forced: Redis failed over) before the lagging consumers got to offsets 5 and 6.
  const dropped = await r.beginRestore('e', {}, now + 3, true);
  if (dropped.kind !== 'dropped') return t.fail(dropped.kind);
  const second = await r.beginRestore('e', { 0: '7' }, now + 4, false, dropped.gen);
  if (second.kind !== 'begun') return t.fail(second.kind);

  t.is(second.marker.gen, 1, 'the marker names the state it replaces');
  const again = await r.beginRestore('e', { 0: '9' }, now + 5, true);
  t.like(again, { kind: 'begun', marker: { ends: { 0: '7' }, gen: 1 } }, 'started over, it keeps both');

  const judged = await persistBatch(s, records, [xRead, yRead]);
  t.deepEqual(
    judged.persisted.map((d) => d.person),
    [y.person],
    'only y, the one told 202, is persisted',
  );
  t.deepEqual(
    mysql.map((d) => d.person),
    [y.person],
    'one winner for one unit',
  );
});
