import test from 'ava';
import { startSystem, randomEventId, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { terning, terningJson } from './support/cli.ts';
import { UserError, EXIT } from '../cli/errors.ts';
import type { AuditEntry } from '../core/adapters/mysql/audit-log.ts';

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: false });
});
test.after.always(async () => {
  await sys?.stop();
});

const target = (actor = 'alice') => ['--url', sys.url, '--admin-key', sys.config.adminKey, '--actor', actor];
const audit = (eventId: string, ...more: string[]) => terningJson<AuditEntry[]>('audit', '--event', eventId, ...target(), ...more);

test.serial('every change that took effect is recorded: who, when, what, from what to what', async (t) => {
  const id = randomEventId();
  const before = Date.now();
  await terning('event', 'create', id, '--name', 'Audited', '--stock', '3', ...target('alice'));
  await terning('stock', 'set', '10', '--event', id, ...target('bob'));
  await terning('event', 'open', '--event', id, '--at', '2031-01-01T10:00:00+09:00', ...target('carol'));
  await terning('event', 'open', '--event', id, ...target('carol'));
  await terning('event', 'close', '--event', id, ...target('dave@ops'));
  const entries = await audit(id);
  t.deepEqual(
    entries.map((e) => [e.actor, e.action]),
    [
      ['dave@ops', 'event.close'],
      ['carol', 'event.open'],
      ['carol', 'event.open'],
      ['bob', 'stock.set'],
      ['alice', 'event.create'],
    ],
    'newest first',
  );
  t.true(entries.every((e) => e.eventId === id && Date.parse(e.at) >= before - 1000 && Date.parse(e.at) <= Date.now() + 1000));
  t.true(entries.every((e) => typeof e.requestId === 'string' && e.requestId.length > 0));
  const [close, open, scheduled, stock, create] = entries;
  t.deepEqual(create!.from, null);
  t.like(create!.to, { name: 'Audited', totalStock: 3, state: 'draft' });
  t.deepEqual(stock!.from, { totalStock: 3 });
  t.deepEqual(stock!.to, { totalStock: 10 });
  t.deepEqual(scheduled!.from, { state: 'draft', opensAt: null, closesAt: null });
  t.deepEqual(scheduled!.to, { state: 'scheduled', opensAt: '2031-01-01T01:00:00.000Z', closesAt: null });
  t.like(open!.from, { state: 'scheduled' });
  t.like(open!.to, { state: 'open', opensAt: null });
  t.like(close!.from, { state: 'open' });
  t.like(close!.to, { state: 'closed' });

  const text = await terning('audit', '--event', id, ...target());
  t.regex(text, /bob\s+stock\.set\s+ev-\S+\s+\{"totalStock":3\} -> \{"totalStock":10\}/);
  t.deepEqual(
    (await audit(id, '--limit', '2')).map((e) => e.action),
    ['event.close', 'event.open'],
  );
});

test.serial('a refused change is not recorded', async (t) => {
  const id = randomEventId();
  await terning('event', 'create', id, '--name', 'Refusals', '--stock', '1', ...target());
  const unknown = randomEventId();
  await t.throwsAsync(terning('stock', 'set', '5', '--event', unknown, ...target()), { instanceOf: UserError, message: /EVENT_NOT_FOUND/ });
  await t.throwsAsync(terning('event', 'open', '--event', unknown, ...target()), { instanceOf: UserError });
  const tooBig = await http(sys.url, 'POST', `/api/admin/events/${id}/stock`, {
    adminKey: sys.config.adminKey,
    body: { count: 10_000_001 },
  });
  t.is(tooBig.status, 400);
  const badKey = await http(sys.url, 'POST', `/api/admin/events/${id}/open`, {
    adminKey: 'wrong',
    headers: { 'X-ADMIN-ACTOR': 'mallory' },
  });
  t.is(badKey.status, 401);
  t.deepEqual(
    (await audit(id)).map((e) => e.action),
    ['event.create'],
  );
  t.deepEqual(await audit(unknown), []);
  t.is(await terning('audit', '--event', unknown, ...target()), 'no changes recorded');
});

test.serial('the actor header is checked; a call without one is recorded as unnamed', async (t) => {
  const id = randomEventId();
  await terning('event', 'create', id, '--name', 'Actors', ...target());
  for (const actor of ['has space', '<script>', 'x'.repeat(65), '-leading-dash', 'ü-umlaut']) {
    const r = await http(sys.url, 'POST', `/api/admin/events/${id}/stock`, {
      adminKey: sys.config.adminKey,
      body: { count: 4 },
      headers: { 'X-ADMIN-ACTOR': actor },
    });
    t.is(r.status, 400, actor);
    t.is(r.body.error.code, 'ACTOR_INVALID');
  }
  const r = await http(sys.url, 'POST', `/api/admin/events/${id}/stock`, { adminKey: sys.config.adminKey, body: { count: 4 } });
  t.is(r.status, 200);
  t.like((await audit(id))[0], { actor: 'unnamed', action: 'stock.set' });
  const cli = await t.throwsAsync(terning('stock', 'set', '5', '--event', id, ...target('two words')), { instanceOf: UserError });
  t.is(cli!.exitCode, EXIT.usage, 'the CLI refuses it before sending');
  t.is((await audit(id)).length, 2, 'nothing recorded for the refused calls');
});

test.serial('audit: bad input is a usage error or a refusal, with a clear message', async (t) => {
  for (const limit of ['0', '-3', 'ten', '10001', '1.5']) {
    const e = await t.throwsAsync(terning('audit', '--limit', limit, ...target()));
    t.regex(e!.message, /limit is a whole number from 1 to 10000/, limit);
  }
  // The CLI checks the event id by the API's rule before it asks; the API refuses it too.
  const badEvent = await t.throwsAsync(terning('audit', '--event', 'Not An Id', ...target()));
  t.is((badEvent as { code?: string }).code, 'commander.invalidArgument');
  t.regex(badEvent!.message, /an event id is lower-case letters, digits and dashes/);
  const badEventApi = await http(sys.url, 'GET', '/api/admin/audit?event=Not%20An%20Id', { adminKey: sys.config.adminKey });
  t.is(badEventApi.status, 400);
  t.like(badEventApi.body, { error: { code: 'VALIDATION_FAILED' } });
  const q = await http(sys.url, 'GET', '/api/admin/audit?limit=5&extra=1', { adminKey: sys.config.adminKey });
  t.is(q.status, 400);
  const noKey = await http(sys.url, 'GET', '/api/admin/audit');
  t.is(noKey.status, 401);
  const away = await t.throwsAsync(terning('audit', '--url', 'http://127.0.0.1:9', '--admin-key', 'x'), { instanceOf: UserError });
  t.is(away!.exitCode, EXIT.unreachable);
});
