import test from 'ava';
import type { Attempt, FinalState, History } from '../faults/history.ts';
import { looseApplications } from '../faults/history.ts';
import { judge, REFUSED_BOUND_MS, type Rule } from '../faults/judge.ts';
import { drawApplicants } from '../faults/addresses.ts';
import { emailAddress } from '../core/domain/rules.ts';
import { personOf } from '../core/use-cases/participant/identity.ts';

// The random fault suite's checker (faults/judge.ts) on histories made by hand, one for each promise:
// a clean one passes, and each one broken as a faulty build would break it fails on exactly that rule.

const T0 = 1_700_000_000_000;
const EVENT = 'judge-event';

/** Three units, five people: a, b, c won (tickets 1-3) in order, d and e were told SOLD_OUT after. */
function clean(): { h: History; s: FinalState } {
  const people = ['a@x.io', 'b@x.io', 'c@x.io', 'd@x.io', 'e@x.io'];
  const attempts: Attempt[] = people.map((p, i) =>
    i < 3
      ? { person: p, email: p, sent: T0 + i * 100, answered: T0 + i * 100 + 20, answer: 'won', status: 202, ticket: i + 1 }
      : { person: p, email: p, sent: T0 + i * 100, answered: T0 + i * 100 + 5, answer: 'sold-out', status: 409, why: 'SOLD_OUT' },
  );
  const h: History = {
    eventId: EVENT,
    stock: 3,
    stockChanges: [],
    applicants: people.map((p) => ({ person: p, email: p, typed: p, abandons: false })),
    attempts,
    faults: [
      {
        kind: 'redis: primary kill -9',
        target: 'redis-1',
        at: T0 + 50,
        endedAt: T0 + 3_000,
        injected: true,
        evidence: 'pid 7 alive before, gone after',
      },
    ],
    crashes: [],
    watch: { readings: 120, resumedMs: 900 },
    settled: true,
  };
  const s: FinalState = {
    total: 3,
    rows: people.slice(0, 3).map((p, i) => ({ person: p, email: p, status: 'WON', ticket: i + 1 })),
    records: people.slice(0, 3).map((p, i) => ({ eventId: EVENT, person: p, ticket: i + 1 })),
    deadLetters: { ok: true, applications: [], unreadable: 0 },
    redis: { remaining: 0, won: new Map(people.slice(0, 3).map((p, i) => [p, i + 1])), reserved: [], restoring: false },
    lag: 0,
  };
  return { h, s };
}

const rules = (h: History, s: FinalState) => [...new Set(judge(h, s).map((v) => v.rule))].sort();
const broken = (name: string, expected: Rule[], mutate: (h: History, s: FinalState) => void) => {
  test(name, (t) => {
    const { h, s } = clean();
    mutate(h, s);
    t.deepEqual(rules(h, s), [...expected].sort(), JSON.stringify(judge(h, s), null, 1));
  });
};

test('a clean history breaks nothing', (t) => {
  const { h, s } = clean();
  t.deepEqual(judge(h, s), []);
});

broken('a 202 whose record never reached Kafka nor MySQL (sent after answering) is lost', ['lost', 'held-by-nobody'], (_h, s) => {
  s.rows = s.rows.filter((r) => r.person !== 'c@x.io');
  s.records = s.records.filter((r) => r.person !== 'c@x.io');
});

broken('a 202 with its row but no record in the applications topic (confirmed before Kafka acked) is lost', ['lost'], (_h, s) => {
  s.records = s.records.filter((r) => r.person !== 'a@x.io');
});

broken('a row with another ticket than the one told is lost', ['lost', 'held-by-nobody'], (_h, s) => {
  s.rows[0]!.ticket = 9;
});

broken('more winners than units is oversold', ['oversold'], (h, s) => {
  h.attempts[3] = { ...h.attempts[3]!, answer: 'won', status: 202, ticket: 4, why: undefined };
  s.rows.push({ person: 'd@x.io', email: 'd@x.io', status: 'WON', ticket: 4 });
  s.records.push({ eventId: EVENT, person: 'd@x.io', ticket: 4 });
  s.redis.won.set('d@x.io', 4);
});

broken('a winner who asked after someone was told SOLD_OUT, with no unit given back, is out of order', ['won-after-sold-out'], (h) => {
  // c asked after d had been answered SOLD_OUT, and still won
  h.attempts[2] = { ...h.attempts[2]!, sent: T0 + 400, answered: T0 + 450 };
  h.attempts[3] = { ...h.attempts[3]!, sent: T0 + 150, answered: T0 + 160 };
});

broken('the same, even when a restore has rebuilt tickets that look in order', ['won-after-sold-out'], (h, s) => {
  h.attempts[2] = { ...h.attempts[2]!, sent: T0 + 400, answered: T0 + 450 };
  h.attempts[3] = { ...h.attempts[3]!, sent: T0 + 150, answered: T0 + 160 };
  h.faults.push({
    kind: "restore: the event's Redis state lost",
    target: EVENT,
    at: T0 + 200,
    endedAt: T0 + 210,
    injected: true,
    evidence: '5 keys deleted',
  });
  s.rows[2]!.ticket = 3;
});

test('a winner after SOLD_OUT is fine when a unit came back since: a stock raised after it, or someone refused', (t) => {
  for (const giveBack of [
    (h: History) => h.stockChanges.push({ sent: T0 + 170, answered: T0 + 180, total: 4, applied: true, detail: '' }),
    (h: History) =>
      h.attempts.push({
        person: 'e@x.io',
        email: 'e@x.io',
        sent: T0 + 10,
        answered: T0 + 20,
        answer: 'refused',
        status: 503,
        why: 'KAFKA_UNAVAILABLE',
      }),
  ]) {
    const { h, s } = clean();
    h.attempts[2] = { ...h.attempts[2]!, sent: T0 + 400, answered: T0 + 450 };
    h.attempts[3] = { ...h.attempts[3]!, sent: T0 + 150, answered: T0 + 160 };
    giveBack(h);
    if (h.stockChanges.length) {
      s.total = 4;
      s.redis.remaining = 1;
    }
    t.deepEqual(
      judge(h, s).filter((v) => v.rule === 'won-after-sold-out'),
      [],
    );
  }
});

broken('SOLD_OUT told while units are left that nobody gave back', ['sold-out-with-units-left'], (h, s) => {
  s.total = 5;
  s.redis.remaining = 2;
  h.stock = 5;
});

broken('a unit held by nobody: neither won nor left', ['held-by-nobody'], (_h, s) => {
  s.total = 4;
});

broken("an event's Redis state left as a promoted replica's copy, never restored, is stalled", ['stalled'], (_h, s) => {
  s.redis.whole = false;
});

broken('a decision in Redis nobody persisted holds a unit', ['held-by-nobody'], (_h, s) => {
  s.redis.won.set('z@x.io', 7);
});

broken('a dead letter that holds a winner told 202 hides them', ['dead-letter-hides-winner', 'lost', 'held-by-nobody'], (_h, s) => {
  // the odd-address bug: the record's person fails the codec, the whole record is dead-lettered
  s.rows = s.rows.filter((r) => r.person !== 'b@x.io');
  s.deadLetters = { ok: true, applications: [{ eventId: EVENT, person: 'b@x.io', ticket: 2 }], unreadable: 0 };
});

broken('one person told two tickets, or one ticket told to two people, is a duplicate', ['duplicate', 'lost'], (h) => {
  h.attempts.push({ person: 'a@x.io', email: 'a+x@x.io', sent: T0 + 500, answered: T0 + 520, answer: 'won', status: 200, ticket: 2 });
});

broken('an applicant who stayed and never got a final answer: the system stopped answering', ['unanswered', 'refused-too-long'], (h) => {
  // e answered 503 for the rest of the round
  h.attempts = h.attempts.filter((a) => a.person !== 'e@x.io');
  for (let at = T0 + 400; at < T0 + 400 + REFUSED_BOUND_MS + 10_000; at += 1_000) {
    h.attempts.push({
      person: 'e@x.io',
      email: 'e@x.io',
      sent: at,
      answered: at + 5,
      answer: 'refused',
      status: 503,
      why: 'KAFKA_UNAVAILABLE',
    });
  }
});

broken('an answer the page cannot act on (a 401 for a valid address) leaves the applicant unanswered', ['unanswered'], (h) => {
  h.attempts[4] = { ...h.attempts[4]!, answer: 'other', status: 401, why: 'TOKEN_INVALID' };
});

test('one who left at a dropped connection needs no answer, and a short refusal is within the bound', (t) => {
  const { h, s } = clean();
  h.applicants[4]!.abandons = true;
  h.attempts[4] = { ...h.attempts[4]!, answer: 'reset', status: undefined, why: 'ECONNRESET' };
  h.attempts.push({ person: 'd@x.io', email: 'd@x.io', sent: T0 + 100, answered: T0 + 5_000, answer: 'refused', status: 503 });
  t.deepEqual(judge(h, s), []);
});

broken('one who would leave at a dropped connection but never met one, and got no final answer, is unanswered', ['unanswered'], (h) => {
  h.applicants[4]!.abandons = true;
  h.attempts[4] = { ...h.attempts[4]!, answer: 'other', status: 401, why: 'TOKEN_INVALID' };
});

broken('a process that exited on its own fails the run', ['crashed'], (h) => {
  h.crashes.push({ process: 'consumer', pid: 4242, at: T0 + 900, code: 1, signal: null });
});

broken('a fault whose effect was not seen (a kill of a pid already gone) fails the run', ['not-injected'], (h) => {
  h.faults[0] = { ...h.faults[0]!, injected: false, evidence: 'pid 7 NOT alive before' };
});

broken('a watch that never read the offsets is blind, not an instant recovery', ['blind-watch'], (h) => {
  h.watch = { readings: 0, resumedMs: 0 };
});

broken('persistence that never resumed, or an event that never settled, is stalled', ['stalled'], (h, s) => {
  h.watch.resumedMs = null;
  h.settled = false;
  s.lag = 3;
});

broken('a dead-letter topic that could not be read is a failure, not "no letters"', ['dead-letters-unread'], (_h, s) => {
  s.deadLetters = { ok: false, error: 'faults.dlq was not read to its end within 30000 ms' };
});

test("a public log that took in every decision, MySQL's winners exactly, breaks nothing", (t) => {
  const { h, s } = clean();
  s.log = { caughtUp: true, won: [1, 2, 3], failed: [] };
  t.deepEqual(judge(h, s), []);
});

broken('a public log that stopped at a ticket MySQL has passed is broken', ['log'], (_h, s) => {
  s.log = { caughtUp: false, stoppedAt: 2, excused: false, won: [1], failed: [] };
});

broken('a log stopped at a dead-lettered winner waits by design; its winners before it must still be there', ['log'], (_h, s) => {
  s.log = { caughtUp: false, stoppedAt: 3, excused: true, won: [1], failed: [] };
});

test('a log stopped at a dead-lettered winner, with every winner before it, breaks nothing', (t) => {
  const { h, s } = clean();
  s.log = { caughtUp: false, stoppedAt: 3, excused: true, won: [1, 2], failed: [] };
  t.deepEqual(judge(h, s), []);
});

broken("a log whose winners are not MySQL's, or that terning verify finds wrong, is broken", ['log'], (_h, s) => {
  s.log = { caughtUp: true, won: [1, 2, 4], failed: ['an entry is out of ticket order'] };
});

broken('a log no API would serve is broken', ['log'], (_h, s) => {
  s.log = { caughtUp: true, won: [], failed: [], unreadable: 'every API answered 503' };
});

test('dead letters and records are read loosely: a person the codec refuses is still found', (t) => {
  const record = JSON.stringify([
    { v: 2, eventId: EVENT, person: 'john.@company.com', email: 'john.+news@company.com', ticket: 3, decidedAt: T0 },
  ]);
  t.deepEqual(looseApplications(Buffer.from(record)), [{ eventId: EVENT, person: 'john.@company.com', ticket: 3 }]);
  t.deepEqual(looseApplications(Buffer.from('not json')), []);
});

test('the random crowd: every address is one sign-in accepts, and the odd spellings are among them', (t) => {
  const drawn = Array.from({ length: 10 }, (_, i) => drawApplicants(40, 3_000 + i)).flat();
  t.true(
    drawn.every(
      (a) => emailAddress.safeParse(a.typed).success && emailAddress.parse(a.typed) === a.email && personOf(a.email) === a.person,
    ),
  );
  const seen = (p: RegExp) => drawn.some((a) => p.test(a.typed));
  t.true(seen(/\.\+/), 'a dot before a tag');
  t.true(seen(/'/), 'an apostrophe');
  t.true(seen(/@g(oogle)?mail\.com/i), 'a Gmail address');
  t.true(seen(/^\s|\s$/), 'whitespace around');
  t.true(seen(/[A-Z]/), 'upper case');
  t.true(new Set(drawn.map((a) => a.person)).size < new Set(drawn.map((a) => a.typed)).size, 'aliases of one person');
  t.deepEqual(drawApplicants(40, 3_000), drawApplicants(40, 3_000), 'a seed draws the same crowd again');
});
