import test from 'ava';
import { readFileSync } from 'node:fs';
import { startSystem, newEvent, randomEventId, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows } from './support/db.ts';
import { emailAddress, PERSON } from '../core/domain/rules.ts';
import { personOf } from '../core/use-cases/participant/identity.ts';
import { MAILBOX_PROVIDERS } from '../core/use-cases/participant/mailbox-aliases.ts';

/** Addresses each provider documents as one mailbox (the user part `u` stands for any name). */
const ONE_MAILBOX: Record<string, (u: string) => string[]> = {
  Gmail: (u) => [
    `${u}@gmail.com`,
    `${u.slice(0, 2)}.${u.slice(2)}@gmail.com`,
    `${u}+x@googlemail.com`,
    `${u.split('').join('.')}@googlemail.com`,
  ],
  iCloud: (u) => [`${u}@icloud.com`, `${u}@me.com`, `${u}@mac.com`, `${u}+news@icloud.com`],
  Proton: (u) => [`${u}@proton.me`, `${u}@protonmail.com`, `${u}@protonmail.ch`, `${u}@pm.me`, `${u}+shop@pm.me`],
  Yandex: (u) => [`${u}.k@yandex.ru`, `${u}-k@yandex.com`, `${u}.k@yandex.by`, `${u}-k@yandex.kz`, `${u}.k@yandex.ua`, `${u}.k+x@ya.ru`],
  Yahoo: (u) => [`${u}-shop@yahoo.com`, `${u}-news@yahoo.com`, `${u}-@yahoo.com`],
  Fastmail: (u) => [`${u}@fastmail.com`, `${u}+x@fastmail.com`, `shop@${u}.fastmail.com`, `news@${u}.fastmail.com`],
  Outlook: (u) => [`${u}@outlook.com`, `${u}+a@outlook.com`, `${u}+b@outlook.com`],
};

/** Addresses that look alike and are different people's mailboxes. */
const APART: [string, string][] = [
  ['kim@outlook.com', 'kim@hotmail.com'],
  ['kim@hotmail.com', 'kim@live.com'],
  ['kim@yahoo.com', 'kim-shop@yahoo.com'],
  ['kim@fastmail.com', 'kim@fastmail.fm'],
  ['kim@fastmail.com', 'a@kim.fastmail.fm'],
  ['k.im@icloud.com', 'kim@icloud.com'],
  ['kim@example.com', 'kim@me.example.com'],
  ['kim@gmail.com', 'kim@me.com'],
];

test("each provider's documented aliases are one person; look-alikes of other mailboxes are not", (t) => {
  t.deepEqual(Object.keys(ONE_MAILBOX).sort(), MAILBOX_PROVIDERS.map((p) => p.provider).sort(), 'every row of the table is tried');
  for (const [provider, aliases] of Object.entries(ONE_MAILBOX)) {
    const typed = aliases('kimlee');
    for (const a of typed) t.true(emailAddress.safeParse(a).success, `sign-in accepts ${a}`);
    const persons = new Set(typed.map(personOf));
    t.is(persons.size, 1, `${provider}: ${typed.join(', ')} -> ${[...persons].join(', ')}`);
  }
  for (const [a, b] of APART) t.not(personOf(a), personOf(b), `${a} and ${b} are two mailboxes`);
});

test('a fold is a person the codec takes and never longer than the typed address', (t) => {
  const longest = (domain: string) => `${'a'.repeat(254 - domain.length - 1)}@${domain}`;
  for (const p of MAILBOX_PROVIDERS) {
    for (const domain of p.domains) {
      const typed = longest(domain);
      const person = personOf(typed);
      t.true(person.length <= typed.length, `${domain}: ${person.length} > ${typed.length}`);
      t.regex(person, PERSON);
    }
  }
  t.is(personOf('-x@yahoo.com'), '-x@yahoo.com', 'nothing before the hyphen: kept as typed');
  t.is(personOf('...@gmail.com'), '...@gmail.com', 'nothing left after the dots: kept as typed');
});

test("the promises' table of mailbox providers (docs/promises.md) is the data", (t) => {
  const readme = readFileSync(new URL('../docs/promises.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\s*\| (\w+) \| ([a-z.,\s]+) \| ([a-z.]*) ?\|/gm)]
    .map((m) => ({ provider: m[1]!, domains: m[2]!.split(',').map((d) => d.trim()), person: m[3] || undefined }))
    .filter((r) => r.domains.every((d) => d.includes('.')));
  t.deepEqual(
    rows,
    MAILBOX_PROVIDERS.map((p) => ({ provider: p.provider, domains: [...p.domains], person: p.person })),
  );
});

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: { sendEmails: false, retryBaseMs: 50 } });
});
test.after.always(async () => {
  await sys?.stop();
});

test('through the API: every alias of a mailbox applies at once, one of them wins, once; the rest get that same win', async (t) => {
  const user = `k${randomEventId().slice(3, 11)}`;
  const groups = Object.entries(ONE_MAILBOX).map(([provider, aliases]) => ({ provider, typed: aliases(user) }));
  const everyone = groups.flatMap((g) => g.typed);
  const eventId = await newEvent(sys, everyone.length);
  const tokens = await Promise.all(everyone.map((e) => sys.tokens.issue(e)));
  const answers = await Promise.all(tokens.map((token) => http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token })));
  let at = 0;
  for (const g of groups) {
    const mine = answers.slice(at, (at += g.typed.length));
    t.is(mine.filter((a) => a.status === 202).length, 1, `${g.provider}: one 202 for ${g.typed.join(', ')}`);
    t.deepEqual(
      mine.filter((a) => a.status !== 202).map((a) => a.status),
      Array(g.typed.length - 1).fill(200),
      `${g.provider}: the others are a repeat`,
    );
    t.is(new Set(mine.map((a) => a.body.ticket)).size, 1, `${g.provider}: every alias is told the one win`);
  }
  const rows = await until(
    'the winners persisted',
    async () => {
      const r = await applicationRows(sys.config, eventId);
      return r.length >= groups.length ? r : undefined;
    },
    30_000,
  );
  t.is(rows.length, groups.length, 'one row per mailbox');
  t.deepEqual(new Set(rows.map((r) => r.person)).size, groups.length);
  const admin = await http(sys.url, 'GET', `/api/admin/events/${eventId}`, { adminKey: sys.config.adminKey });
  t.is(admin.body.won, groups.length, `${everyone.length} units were there to take; one per mailbox was taken`);
});
