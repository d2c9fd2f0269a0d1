import test from 'ava';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import {
  decodeApplication,
  decodeApplications,
  decodeRecord,
  encodeApplication,
  encodeApplications,
  PoisonMessage,
} from '../core/adapters/kafka/codec.ts';
import { applicationRecords } from '../core/adapters/kafka/application-records.ts';
import type { Decision } from '../core/domain/decision.ts';

const app = (i: number): Decision => ({
  eventId: 'ev-codec',
  person: `p${i}@codec.test`,
  email: `p.${i}+x@codec.test`,
  ticket: i,
  decidedAt: 1_800_000_000_000 + i,
});
/** A decision as the wire carries it, written by hand. */
const wire = (i: number) => ({ v: 2, ...app(i) });

test('a record holds one application (an object) or several (an array, in order)', (t) => {
  t.deepEqual(decodeApplications(encodeApplication(app(1))), [app(1)]);
  t.deepEqual(decodeApplications(encodeApplications([app(1), app(2), app(3)])), [app(1), app(2), app(3)]);
  t.deepEqual(decodeApplication(encodeApplications([app(4)])), app(4));
  t.throws(() => decodeApplication(encodeApplications([app(1), app(2)])), { instanceOf: PoisonMessage, message: /holds 2 applications/ });
});

test("the version is the wire's: written on encoding, dropped on decoding", (t) => {
  t.deepEqual(JSON.parse(encodeApplication({ ...app(1), requestId: 'r-1' }).toString()), { ...wire(1), requestId: 'r-1' });
  t.deepEqual(JSON.parse(encodeApplications([app(1), app(2)]).toString()), [wire(1), wire(2)]);
  const [decoded] = decodeApplications(Buffer.from(JSON.stringify([wire(3)])));
  t.deepEqual(decoded, app(3));
  t.false('v' in decoded!, 'a decision has no version');
  t.deepEqual(
    decodeApplications(
      encodeApplications([
        { ...app(4), gen: 0 },
        { ...app(5), gen: 7 },
      ]),
    ),
    [
      { ...app(4), gen: 0 },
      { ...app(5), gen: 7 },
    ],
    "the state's generation is carried, 0 too",
  );
  t.regex(
    decodeRecord(Buffer.from(JSON.stringify([app(3)]))).bad[0]!.error,
    /not an application: v/,
    'the wire without its version is refused',
  );
});

test('a record that is no JSON, or holds nothing, is poison as a whole', (t) => {
  t.throws(() => decodeRecord(null), { instanceOf: PoisonMessage });
  t.throws(() => decodeRecord(Buffer.from('not json')), { instanceOf: PoisonMessage, message: /not JSON/ });
  t.throws(() => decodeRecord(Buffer.from('[]')), { instanceOf: PoisonMessage, message: /no application/ });
});

test('an item that is not an application is set aside alone, with its error and its own bytes; the others decode', (t) => {
  const bad = (value: unknown, why: RegExp) => {
    const r = decodeRecord(Buffer.from(JSON.stringify([wire(1), value, wire(3)])));
    t.deepEqual(r.applications, [app(1), app(3)]);
    t.is(r.bad.length, 1);
    t.regex(r.bad[0]!.error, why);
    t.deepEqual(r.bad[0]!.value.toString(), JSON.stringify(value));
  };
  bad({ ...wire(2), ticket: -1 }, /\[1\] message is not an application: ticket/);
  bad({ ...wire(2), extra: true }, /\[1\]/);
  bad({ ...wire(2), v: 1 }, /not an application: v/);
  bad({ v: 1, eventId: 'ev-codec', email: 'a@codec.test', ticket: 1, appliedAt: 1 }, /not an application/);
  bad({ ...wire(2), person: undefined }, /person/);
  bad({ ...wire(2), person: 'no at sign' }, /person/);
  bad({ ...wire(2), email: 'john.@company.com' }, /email/);
  for (const gen of [-1, 1.5, '1', null, 2 ** 32]) bad({ ...wire(2), gen }, /not an application: gen/);
  bad(42, /not an application/);
  const one = decodeRecord(Buffer.from('42'));
  t.deepEqual(one.applications, []);
  t.regex(one.bad[0]!.error, /not an application/);
  t.throws(
    () => decodeApplications(Buffer.from(JSON.stringify([wire(1), 42]))),
    { instanceOf: PoisonMessage },
    'the strict reader (dead letters) refuses any bad item',
  );
});

test('a person is what an address folds to, not an address: `john.@company.com` is carried', (t) => {
  const folded = { ...app(1), person: 'john.@company.com', email: 'john.+news@company.com' };
  t.deepEqual(decodeApplications(encodeApplications([folded])), [folded]);
});

test('a batch becomes one record per partition, each application where its person as a key would go', (t) => {
  const apps = Array.from({ length: 40 }, (_, i) => app(i + 1));
  t.deepEqual(
    applicationRecords(1)(apps).map((r) => decodeApplications(r.value as Buffer)),
    [apps],
  );
  t.deepEqual(applicationRecords(undefined)(apps).length, 1);
  const records = applicationRecords(4)(apps);
  const partitionMetadata = [0, 1, 2, 3].map((partitionId): PartitionMetadata => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const byKey = Partitioners.DefaultPartitioner();
  const seen: Decision[] = [];
  t.true(records.length > 1 && records.length <= 4);
  for (const r of records) {
    const inside = decodeApplications(r.value as Buffer);
    for (const a of inside) t.is(byKey({ topic: 't', partitionMetadata, message: { key: a.person, value: null } }), r.partition as number);
    t.deepEqual(
      inside,
      [...inside].sort((a, b) => a.ticket - b.ticket),
      'in order of arrival within a record',
    );
    seen.push(...inside);
  }
  t.deepEqual(
    seen.sort((a, b) => a.ticket - b.ticket),
    apps,
    'every application exactly once',
  );
});
