import test from 'ava';
import { persistBatch, type ReadDecision } from '../core/use-cases/persistence/persist.ts';
import type { Decision, Winner } from '../core/domain/decision.ts';
import { StockStateMissing } from '../core/domain/errors.ts';
import type { Settlement } from '../core/adapters/redis/scripts.ts';

/**
 * The consumers' use case against fakes of its narrow ports: what settle.lua answers decides what is
 * stored, and during a restore the marker's offsets (and the winners MySQL holds from their dead
 * letters) decide instead. settle.lua itself runs on real Redis in tests/gate-scripts.test.ts, the whole
 * path in tests/consumer.test.ts and tests/restore.test.ts.
 */
const decision = (eventId: string, ticket: number): Decision => ({
  eventId,
  person: `p${ticket}@${eventId}.test`,
  email: `P${ticket}@${eventId}.test`,
  ticket,
  decidedAt: 1_800_000_000_000 + ticket,
});
const read = (application: Decision, offset: number, partition = 0): ReadDecision => ({ application, partition, offset: String(offset) });
const winnerOf = (d: Decision): Winner => ({ person: d.person, ticket: d.ticket, decidedAt: d.decidedAt });

function fakes(settlements: Record<string, Settlement>, deadLettered: Record<string, number> = {}) {
  const steps: string[] = [];
  const settled: { eventId: string; units: { person: string; ticket: number }[] }[] = [];
  const stored: Decision[][] = [];
  const asked: { eventId: string; persons: string[] }[] = [];
  const announced: { eventId: string; winners: Winner[] }[] = [];
  const scripts = {
    settle: async (eventId: string, units: { person: string; ticket: number }[]) => {
      steps.push(`settle ${eventId}`);
      settled.push({ eventId, units: units.map((u) => ({ person: u.person, ticket: u.ticket })) });
      return settlements[eventId]!;
    },
  };
  const records = {
    storeWinners: async (winners: Decision[]) => {
      steps.push('store');
      stored.push(winners);
    },
    deadLettered: async (eventId: string, persons: string[]) => {
      asked.push({ eventId, persons });
      return new Map(persons.filter((p) => p in deadLettered).map((p) => [p, deadLettered[p]!]));
    },
  };
  const announce = async (eventId: string, winners: Winner[]) => {
    steps.push(`announce ${eventId}`);
    announced.push({ eventId, winners });
  };
  return { scripts, records, announce, steps, settled, stored, asked, announced };
}

test('settle.lua says which decisions Redis still holds: those are stored in one write, the rest are void', async (t) => {
  const [a1, a2, a3] = [1, 2, 3].map((i) => decision('ev-a', i));
  const [b1, b2] = [1, 2].map((i) => decision('ev-b', i));
  const f = fakes({ 'ev-a': { kind: 'settled', persist: [true, false, true] }, 'ev-b': { kind: 'settled', persist: [false, true] } });
  // Two events' decisions interleaved in one batch, as one Kafka record may carry them.
  const done = await persistBatch(f.scripts, f.records, [read(a1!, 0), read(b1!, 1), read(a2!, 2), read(b2!, 3), read(a3!, 4)], f.announce);

  t.deepEqual(
    f.settled,
    [
      { eventId: 'ev-a', units: [a1!, a2!, a3!].map((d) => ({ person: d.person, ticket: d.ticket })) },
      { eventId: 'ev-b', units: [b1!, b2!].map((d) => ({ person: d.person, ticket: d.ticket })) },
    ],
    'one settle.lua call per event, its decisions in the order read',
  );
  t.deepEqual(done, { persisted: [a1!, a3!, b2!], void: [a2!, b1!] });
  t.deepEqual(f.stored, [[a1!, a3!, b2!]], 'every kept decision in one write, the void ones in none');
  t.deepEqual(f.asked, [], "MySQL's dead-lettered winners are asked only during a restore");
});

test('the winners are announced only once MySQL holds them, per event, as winners (no email)', async (t) => {
  const [a1, a2] = [1, 2].map((i) => decision('ev-a', i));
  const [b1] = [decision('ev-b', 1)];
  const f = fakes({ 'ev-a': { kind: 'settled', persist: [true, true] }, 'ev-b': { kind: 'settled', persist: [false] } });
  await persistBatch(f.scripts, f.records, [read(a1!, 0), read(b1!, 1), read(a2!, 2)], f.announce);
  t.deepEqual(f.steps, ['settle ev-a', 'settle ev-b', 'store', 'announce ev-a'], 'an event without winners in the batch is not announced');
  t.deepEqual(f.announced, [{ eventId: 'ev-a', winners: [winnerOf(a1!), winnerOf(a2!)] }]);
});

test('a store that fails announces nothing: a stream told "won" must find the row', async (t) => {
  const f = fakes({ 'ev-a': { kind: 'settled', persist: [true] } });
  const broken = {
    ...f.records,
    storeWinners: async () => {
      throw new Error('mysql down');
    },
  };
  await t.throwsAsync(persistBatch(f.scripts, broken, [read(decision('ev-a', 1), 0)], f.announce), { message: 'mysql down' });
  t.deepEqual(f.announced, []);
});

test("during a restore, below the marker's offsets is kept; above it is void unless MySQL holds that win from its dead letter", async (t) => {
  const marker = { raw: 'm', ends: { 0: '10', 1: '3' }, at: 1 };
  const [below0, below1, replayed, otherTicket, late, lateOther] = [1, 2, 3, 4, 5, 6].map((i) => decision('ev-r', i));
  const f = fakes(
    { 'ev-r': { kind: 'restoring', marker } },
    {
      // A winner dead-lettered after its 202, replayed above the marker: held in MySQL with this ticket.
      [replayed!.person]: replayed!.ticket,
      // Held in MySQL with another ticket: this record is not that win.
      [otherTicket!.person]: 99,
    },
  );
  const done = await persistBatch(
    f.scripts,
    f.records,
    [
      read(below0!, 9, 0),
      read(below1!, 2, 1),
      read(replayed!, 10, 0),
      read(otherTicket!, 11, 0),
      read(late!, 3, 1),
      read(lateOther!, 12, 2),
    ],
    f.announce,
  );
  t.deepEqual(done, { persisted: [below0!, below1!, replayed!], void: [otherTicket!, late!, lateOther!] });
  t.deepEqual(
    f.asked,
    [{ eventId: 'ev-r', persons: [replayed!.person, otherTicket!.person, late!.person, lateOther!.person] }],
    'only the decisions above the marker are looked up, in one query',
  );
  t.deepEqual(f.stored, [[below0!, below1!, replayed!]]);
});

test("during a restore, a decision below the marker's offsets is kept only if the state it replaces made it", async (t) => {
  const marker = { raw: 'm', ends: { 0: '100' }, at: 1, gen: 2 };
  const [older, same, newer, unnamed, replayedOlder] = [1, 2, 3, 4, 5].map((i) => decision('ev-g', i));
  const gens = [1, 2, 3, undefined, 1];
  const f = fakes({ 'ev-g': { kind: 'restoring', marker } }, { [replayedOlder!.person]: replayedOlder!.ticket });
  const items = [older, same, newer, unnamed, replayedOlder].map((d, i) => read(gens[i] === undefined ? d! : { ...d!, gen: gens[i] }, i));
  const done = await persistBatch(f.scripts, f.records, items);
  t.deepEqual(
    done.persisted.map((d) => d.ticket),
    [2, 3, 4, 5],
    "its own generation, a later one, one written before generations, and a winner's dead-letter replay",
  );
  t.deepEqual(
    done.void.map((d) => d.ticket),
    [1],
    'an older state made it: it reached Kafka after an earlier restore read its ends, and nobody confirmed it',
  );
  const none = fakes({ 'ev-g': { kind: 'restoring', marker: { raw: 'm', ends: { 0: '100' }, at: 1 } } });
  const kept = await persistBatch(none.scripts, none.records, [read({ ...older!, gen: 0 }, 1)]);
  t.is(kept.persisted.length, 1, 'a marker that does not know the state it replaces keeps by offset alone');
});

test('during a restore with every decision below the marker, MySQL is not asked', async (t) => {
  const f = fakes({ 'ev-r': { kind: 'restoring', marker: { raw: 'm', ends: { 0: '100' }, at: 1 } } });
  const ds = [1, 2].map((i) => decision('ev-r', i));
  const done = await persistBatch(
    f.scripts,
    f.records,
    ds.map((d, i) => read(d, i)),
  );
  t.deepEqual(done.persisted, ds);
  t.deepEqual(f.asked, []);
});

test('an event whose Redis state is missing, and no restore begun, stops the batch before anything is stored', async (t) => {
  const f = fakes({ 'ev-a': { kind: 'settled', persist: [true] }, 'ev-gone': { kind: 'missing' } });
  const error = await t.throwsAsync(
    persistBatch(f.scripts, f.records, [read(decision('ev-a', 1), 0), read(decision('ev-gone', 1), 1)], f.announce),
    { instanceOf: StockStateMissing },
  );
  t.is(error.eventId, 'ev-gone', 'the error names the event to restore');
  t.deepEqual(f.stored, [], "not even the other event's winners: the batch is tried again whole");
  t.deepEqual(f.announced, []);
});
