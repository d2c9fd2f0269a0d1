import test from 'ava';
import { QueryTypes } from 'sequelize';
import { startSystem, newEvent, randomEmail, randomEventId, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { produceRaw } from './support/kafka.ts';
import { applicationRows, outboxRows } from './support/db.ts';
import { decodeApplication, encodeApplication, encodeApplications } from '../core/adapters/kafka/codec.ts';
import { createKafka } from '../core/adapters/kafka/client.ts';
import { listDeadLetters } from '../core/adapters/kafka/dead-letters.ts';
import { persistBatch } from '../core/use-cases/persistence/persist.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { ApplicationsRepo } from '../core/adapters/mysql/applications-repo.ts';
import { createSequelize } from '../core/adapters/mysql/sequelize.ts';
import { ConsumerProcess } from '../consumer/process.ts';
import type { Decision } from '../core/domain/decision.ts';

let sys: System;
let stores: Stores;
test.before(async () => {
  sys = await startSystem({ consumer: { sendEmails: false, retryBaseMs: 50 } });
  stores = openStores(sys.config);
});
test.after.always(async () => {
  await stores?.close();
  await sys?.stop();
});

const snapshot = async (eventId: string) =>
  (await http(sys.url, 'GET', `/api/admin/events/${eventId}`, { adminKey: sys.config.adminKey })).body;
const apply = async (eventId: string, email: string) =>
  http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });

/** Units taken at the gate, as an API would, without sending them: the test plays the API's Kafka side. */
async function reserve(eventId: string, persons: string[]): Promise<Decision[]> {
  const gate = await stores.scripts.applyMany(eventId, persons, Date.now());
  return gate.map((g, i) => {
    if (g.kind !== 'new') throw new Error(`expected a new reservation, got ${g.kind}`);
    return { eventId, person: persons[i]!, email: persons[i]!, ticket: g.ticket, decidedAt: g.decidedAt };
  });
}
const read = (apps: Decision[]) => apps.map((application, i) => ({ application, partition: 0, offset: String(i) }));

test('a decision delivered two and three times is persisted once and takes nothing', async (t) => {
  const eventId = await newEvent(sys, 2);
  const [a, b] = await reserve(eventId, [randomEmail('dup'), randomEmail('dup')]);
  await produceRaw(sys.config, [
    encodeApplication(a!),
    encodeApplication(b!),
    encodeApplication(a!),
    encodeApplications([b!, a!]),
    encodeApplication(a!),
  ]);
  const rows = await until('both persisted', async () => {
    const r = await applicationRows(sys.config, eventId);
    return r.length === 2 ? r : undefined;
  });
  t.deepEqual(
    rows.map((r) => [r.person, r.ticket, r.status]),
    [
      [a!.person, 1, 'WON'],
      [b!.person, 2, 'WON'],
    ],
  );
  const s = await until('every copy settled', async () => {
    const x = await snapshot(eventId);
    return x.pending === 0 ? x : undefined;
  });
  t.is(s.won, 2);
  t.is(s.remainingStock, 0);
});

test('a retry after a failed database write persists once', async (t) => {
  const eventId = await newEvent(sys, 2);
  const broken = createSequelize('mysql://root@127.0.0.1:1/terning', { pool: 1 });
  try {
    const items = read(await reserve(eventId, [randomEmail('retry')]));
    await t.throwsAsync(persistBatch(stores.scripts, new ApplicationsRepo(broken), items));
    const again = await persistBatch(stores.scripts, stores.records, items);
    const third = await persistBatch(stores.scripts, stores.records, items);
    t.is(again.persisted.length, 1);
    t.deepEqual(third, again, 'the same answer every time');
    t.is((await snapshot(eventId)).remainingStock, 1, 'one unit taken, at arrival');
    t.is((await applicationRows(sys.config, eventId)).length, 1);
  } finally {
    await broken.close();
  }
});

test('a decision whose reservation was released is void: no row, and its unit serves the next arrival', async (t) => {
  const eventId = await newEvent(sys, 1);
  const [gone] = await reserve(eventId, [randomEmail('gone')]);
  t.true(await stores.scripts.revoke(eventId, gone!.person, gone!.ticket));
  t.true(await stores.scripts.release(eventId, gone!.ticket));
  const next = await apply(eventId, randomEmail('next'));
  t.is(next.status, 202);
  t.is(next.body.ticket, 2);
  const done = await persistBatch(stores.scripts, stores.records, read([gone!]));
  t.deepEqual(done, { persisted: [], void: [gone!] });
  const rows = await until('the next one persisted', async () => {
    const r = await applicationRows(sys.config, eventId);
    return r.length === 1 ? r : undefined;
  });
  t.deepEqual(
    rows.map((r) => [r.ticket, r.status]),
    [[2, 'WON']],
  );
});

/** The rows of the two good decisions around a failing one, once both are persisted. */
const neighboursPersisted = (eventId: string) =>
  until('the two neighbours persisted', async () => {
    const r = await applicationRows(sys.config, eventId);
    return r.length === 2 ? r : undefined;
  });

/** The dead letter of the decision for the ghost event. */
const deadLetterOf = (ghost: string) => {
  const kafka = createKafka({ ...sys.config.kafka, log: testLog() });
  return until('the dead letter', async () =>
    (await listDeadLetters(kafka, sys.config.kafka.deadLetterTopic)).find((l) => l.value.includes(ghost)),
  );
};

const ghostOf = (ghost: string): Decision => ({
  eventId: ghost,
  person: 'g@example.test',
  email: 'g@example.test',
  ticket: 7,
  decidedAt: Date.now(),
});

test('a decision that keeps failing is dead-lettered alone; its neighbours are persisted', async (t) => {
  const eventId = await newEvent(sys, 5);
  const ghost = `ghost-${randomEventId()}`;
  const [a, b] = await reserve(eventId, [randomEmail('n1'), randomEmail('n2')]);
  await produceRaw(sys.config, [encodeApplication(a!), encodeApplication(ghostOf(ghost)), encodeApplication(b!)]);
  const rows = await neighboursPersisted(eventId);
  t.deepEqual(
    rows.map((r) => [r.person, r.status]),
    [
      [a!.person, 'WON'],
      [b!.person, 'WON'],
    ],
  );
  const letter = await deadLetterOf(ghost);
  t.regex(letter.error, /.+/);
});

test('a record holding several decisions (as the API writes them) is persisted whole; one failing in it is dead-lettered alone', async (t) => {
  const eventId = await newEvent(sys, 2);
  const ghost = `ghost-${randomEventId()}`;
  const [a, b] = await reserve(eventId, [randomEmail('r1'), randomEmail('r2')]);
  const ghostApp = ghostOf(ghost);
  await produceRaw(sys.config, [encodeApplications([a!, ghostApp, b!])]);
  const rows = await neighboursPersisted(eventId);
  t.deepEqual(
    rows.map((r) => [r.person, r.status]),
    [
      [a!.person, 'WON'],
      [b!.person, 'WON'],
    ],
  );
  const letter = await deadLetterOf(ghost);
  t.deepEqual(decodeApplication(Buffer.from(letter.value)), ghostApp, 'the letter holds the failing decision alone');
});

test("an item of a record that is no application is dead-lettered alone; the record's winners are persisted", async (t) => {
  const eventId = await newEvent(sys, 2);
  const [a, b] = await reserve(eventId, [randomEmail('i1'), randomEmail('i2')]);
  // Written by hand, as the wire carries decisions: with their version.
  const broken = { v: 2, ...a!, ticket: 99, person: `no at sign ${eventId}` };
  await produceRaw(sys.config, [JSON.stringify([{ v: 2, ...a! }, broken, { v: 2, ...b! }])]);
  const rows = await neighboursPersisted(eventId);
  t.deepEqual(
    rows.map((r) => [r.person, r.status]),
    [
      [a!.person, 'WON'],
      [b!.person, 'WON'],
    ],
  );
  const letter = await deadLetterOf(`no at sign ${eventId}`);
  t.deepEqual(JSON.parse(letter.value), broken, 'the letter holds the bad item alone');
  t.regex(letter.error, /person/);
});

test('poison messages go to the dead-letter topic with their error, and the next decision is still persisted', async (t) => {
  const eventId = await newEvent(sys, 5);
  const oldFormat = JSON.stringify({ v: 1, eventId, email: 'old@example.test', ticket: 3, appliedAt: Date.now() });
  await produceRaw(sys.config, ['not json at all', oldFormat]);
  const after = await apply(eventId, randomEmail('after-poison'));
  t.is(after.status, 202);
  await until('the decision after the poison persisted', async () =>
    (await applicationRows(sys.config, eventId)).length === 1 ? true : undefined,
  );
  const kafka = createKafka({ ...sys.config.kafka, log: testLog() });
  const letters = await until('two dead letters', async () => {
    const l = (await listDeadLetters(kafka, sys.config.kafka.deadLetterTopic)).filter(
      (x) => x.value === 'not json at all' || x.value === oldFormat,
    );
    return l.length >= 2 ? l : undefined;
  });
  t.is(letters.length, 2);
  t.true(letters.every((l) => l.error.length > 0 && l.sourceTopic === sys.config.kafka.applicationsTopic));
  t.regex(letters.find((l) => l.value === 'not json at all')!.error, /not JSON/);
});

test.serial(
  'nobody waits on a consumer: with none running, everyone is answered at once; once one runs, exactly the winners are persisted',
  async (t) => {
    const eventId = await newEvent(sys, 3);
    await sys.consumer!.stop();
    const people = Array.from({ length: 12 }, () => randomEmail('catchup'));
    const answers: number[] = [];
    for (const p of people) answers.push((await apply(eventId, p)).status);
    t.deepEqual(answers, [202, 202, 202, ...Array(9).fill(409)], 'the first three to arrive won; the rest were told SOLD_OUT');
    const statuses = await Promise.all(
      people.map(
        async (p) =>
          (await http(sys.url, 'GET', `/api/events/${eventId}/status`, { token: await sys.tokens.issue(p) })).body.status ?? 'none',
      ),
    );
    t.deepEqual(statuses, ['WON', 'WON', 'WON', ...Array(9).fill('none')]);
    t.is((await applicationRows(sys.config, eventId)).length, 0, 'nothing persisted yet');
    sys.consumer = new ConsumerProcess(sys.config, { sendEmails: false, retryBaseMs: 50 }, testLog());
    await sys.consumer.start();
    const rows = await until('the winners persisted', async () => {
      const r = await applicationRows(sys.config, eventId);
      return r.length === 3 ? r : undefined;
    });
    t.deepEqual(
      rows.map((r) => [r.person, r.ticket]),
      people.slice(0, 3).map((p, i) => [p, i + 1]),
    );
  },
);

test("a released reservation recorded in MySQL keeps a late copy of it out, and gives way to the person's next win", async (t) => {
  const eventId = await newEvent(sys, 3);
  const person = randomEmail('released');
  const old: Decision = { eventId, person, email: person, ticket: 1, decidedAt: Date.now() };
  await stores.records.markReleased(eventId, person, 1, old.decidedAt);
  await stores.records.storeWinners([old]);
  t.deepEqual(
    (await applicationRows(sys.config, eventId)).map((r) => [r.ticket, r.status]),
    [[1, 'RELEASED']],
    'the late copy is void',
  );
  t.deepEqual(await outboxRows(sys.config, eventId), [], 'and mails nobody');
  await stores.records.storeWinners([{ ...old, ticket: 4 }]);
  t.deepEqual(
    (await applicationRows(sys.config, eventId)).map((r) => [r.ticket, r.status]),
    [[4, 'WON']],
  );
  t.deepEqual(
    (await outboxRows(sys.config, eventId)).map((r) => r.email),
    [person],
  );
});

test("a copy of a win typed with another alias of the person, beside a new win, keeps the row's address and mails once", async (t) => {
  const eventId = await newEvent(sys, 3);
  const person = randomEmail('aliased');
  const fresh = randomEmail('beside');
  const win: Decision = { eventId, person, email: person, ticket: 1, decidedAt: Date.now() };
  await stores.records.storeWinners([win]);
  await stores.records.storeWinners([
    { ...win, email: person.replace('@', '+again@') },
    { ...win, person: fresh, email: fresh, ticket: 2 },
  ]);
  t.deepEqual(
    (await applicationRows(sys.config, eventId)).map((r) => [r.person, r.email, r.ticket, r.status]),
    [
      [person, person, 1, 'WON'],
      [fresh, fresh, 2, 'WON'],
    ],
  );
  t.deepEqual(
    (await outboxRows(sys.config, eventId)).map((r) => r.email).sort(),
    [person, fresh].sort(),
    'one email each, to the address each row holds',
  );
});

test.serial("a release recorded for an earlier ticket while a win is being stored doesn't hide the win", async (t) => {
  const eventId = await newEvent(sys, 3);
  const person = randomEmail('raced');
  const win: Decision = { eventId, person, email: person, ticket: 2, decidedAt: Date.now() };
  // The sweeper's delayed RELEASED row for the person's earlier ticket, written in the middle of
  // storeWinners: after its read, before its insert (held uncommitted until the insert waits on it).
  const sweeper = await stores.sequelize.transaction();
  await stores.sequelize.query(
    `INSERT INTO applications (event_id, person, email, ticket, status, applied_at, decided_at, created_at)
     VALUES (?, ?, ?, 1, 'RELEASED', NOW(), NOW(), NOW())`,
    { transaction: sweeper, replacements: [eventId, person, person] },
  );
  const storing = stores.records.storeWinners([win]);
  await until('the store waiting on the release', async () => {
    const [row] = await stores.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM information_schema.INNODB_LOCK_WAITS', {
      type: QueryTypes.SELECT,
    });
    return Number(row?.n) > 0 ? true : undefined;
  });
  await sweeper.commit();
  await storing;
  t.deepEqual(
    (await applicationRows(sys.config, eventId)).map((r) => [r.person, r.ticket, r.status]),
    [[person, 2, 'WON']],
    'the winner, told 202, is WON',
  );
  t.deepEqual(
    (await outboxRows(sys.config, eventId)).map((r) => r.email),
    [person],
    'and mailed',
  );
});
