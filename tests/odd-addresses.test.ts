import test from 'ava';
import fc from 'fast-check';
import { startSystem, newEvent, randomEventId, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows } from './support/db.ts';
import { emailAddress } from '../core/domain/rules.ts';
import { personOf } from '../core/use-cases/participant/identity.ts';
import { decodeRecord, encodeApplications } from '../core/adapters/kafka/codec.ts';
import { createKafka } from '../core/adapters/kafka/client.ts';
import { listDeadLetters } from '../core/adapters/kafka/dead-letters.ts';
import type { Decision } from '../core/domain/decision.ts';

/**
 * Whatever sign-in accepts, the consumers persist: the person of every address sign-in takes goes into
 * a record that decodes, and through the whole pipeline, not only the edge. Addresses from outside
 * probes (`john.+news@company.com` folds to `john.@company.com`, no valid address) once sent a whole
 * record of winners, answered 202, to the dead letters.
 */

const LOCAL_CHARS = [..."abcxyz019_'+-.ABZ"];
const DOMAINS = [
  'example.com',
  'gmail.com',
  'googlemail.com',
  'company.co',
  'Example.ORG',
  'sub.example.test',
  'me.com',
  'pm.me',
  'yandex.ru',
  'yahoo.com',
  'u.fastmail.com',
  'hotmail.com',
];
/** Everything an address can be built of, shaped the way people type them (case, spaces, tags, dots). */
const typedAddress = fc.oneof(
  fc.emailAddress(),
  fc
    .record({
      local: fc.array(fc.constantFrom(...LOCAL_CHARS), { minLength: 1, maxLength: 24 }).map((cs) => cs.join('')),
      tag: fc.option(
        fc.string({ maxLength: 8 }).map((s) => `+${s}`),
        { nil: '' },
      ),
      domain: fc.constantFrom(...DOMAINS),
      pad: fc.constantFrom('', ' ', '\t', '  '),
    })
    .map(({ local, tag, domain, pad }) => `${pad}${local}${tag}@${domain}${pad}`),
);

test('every address sign-in accepts becomes a person whose record decodes', (t) => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.array(typedAddress, { minLength: 1, maxLength: 12 }), (typed) => {
      const apps: Decision[] = [];
      for (const raw of typed) {
        const parsed = emailAddress.safeParse(raw);
        if (!parsed.success) continue;
        accepted++;
        apps.push({
          eventId: 'ev-odd',
          person: personOf(parsed.data),
          email: parsed.data,
          ticket: apps.length + 1,
          decidedAt: 1_800_000_000_000,
        });
      }
      if (apps.length === 0) return;
      const decoded = decodeRecord(encodeApplications(apps));
      t.deepEqual(decoded.bad, []);
      t.deepEqual(decoded.applications, apps);
    }),
    { numRuns: 2_000 },
  );
  t.true(accepted > 1_000, `the generator reached sign-in's accepted addresses (${accepted})`);
});

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: { sendEmails: false, retryBaseMs: 50 } });
});
test.after.always(async () => {
  await sys?.stop();
});

test('winners with odd but valid addresses, in one record with others, are all persisted; nothing is dead-lettered', async (t) => {
  const tag = randomEventId().slice(3, 11);
  const odd = [`john.+${tag}@company.com`, `o'+${tag}@example.com`, `x'+${tag}@gmail.com`, `m.+${tag}@example.com`, `+${tag}@example.com`];
  const plain = Array.from({ length: 7 }, (_, i) => `plain${i}-${tag}@example.com`);
  const everyone = [...plain.slice(0, 3), ...odd, ...plain.slice(3)];
  for (const email of everyone) t.true(emailAddress.safeParse(email).success, `sign-in accepts ${email}`);
  const eventId = await newEvent(sys, everyone.length);
  const tokens = await Promise.all(everyone.map((e) => sys.tokens.issue(e)));
  // One turn of the event loop: one gate call, one Kafka record for them all.
  const answers = await Promise.all(tokens.map((token) => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token })));
  t.deepEqual(
    answers.map((a) => a.status),
    everyone.map(() => 202),
  );
  const rows = await until(
    'every winner persisted',
    async () => {
      const r = await applicationRows(sys.config, eventId);
      return r.length === everyone.length ? r : undefined;
    },
    30_000,
  );
  t.deepEqual(rows.map((r) => r.email).sort(), everyone.map((e) => e.toLowerCase()).sort());
  t.deepEqual(new Set(rows.map((r) => r.ticket)), new Set(answers.map((a) => a.body.ticket)));
  const letters = await listDeadLetters(createKafka({ ...sys.config.kafka, log: testLog() }), sys.config.kafka.deadLetterTopic);
  t.deepEqual(
    letters.filter((l) => l.value.includes(eventId)),
    [],
  );
});
