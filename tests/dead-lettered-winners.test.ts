import test from 'ava';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryTypes } from 'sequelize';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { applicationRows, outboxRows } from './support/db.ts';
import { terning, terningJson } from './support/cli.ts';
import { openStores, type Stores } from '../core/stores.ts';
import { createKafka } from '../core/adapters/kafka/client.ts';
import { listDeadLetters } from '../core/adapters/kafka/dead-letters.ts';
import type { ReplayResult } from '../core/use-cases/operator/dead-letter-desk.ts';

/**
 * A winner told 202 whose row MySQL keeps refusing (the services up) goes to the dead letters, and the
 * consumer group commits past it. It must still count as a winner: in the export, in the mail, and in
 * a restore after Redis lost the event (which rebuilds from MySQL once the group has committed past
 * the marker); and a replay of it persists it, restore or not.
 */

let sys: System;
let stores: Stores;
test.before(async () => {
  sys = await startSystem({ consumer: { sendEmails: false, retryBaseMs: 20 } });
  stores = openStores(sys.config, testLog());
});
test.after.always(async () => {
  await stores?.sequelize.query('DROP TRIGGER IF EXISTS terning_test_refuse').catch(() => {});
  await stores?.close();
  await sys?.stop();
});

const apply = async (eventId: string, email: string) =>
  http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(email) });

test.serial('a winner dead-lettered after a 202 is exported, mailed, kept by a restore, and persisted by its replay', async (t) => {
  const eventId = await newEvent(sys, 2);
  const [refused, other] = [randomEmail('refused'), randomEmail('other')];
  // MySQL refuses this one row, as a constraint or a full disk for one table would, while it answers.
  await stores.sequelize.query(`CREATE TRIGGER terning_test_refuse BEFORE INSERT ON applications FOR EACH ROW
    IF NEW.person = '${refused}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF`);
  t.is((await apply(eventId, refused)).status, 202);
  t.is((await apply(eventId, other)).status, 202);

  const kafka = createKafka({ ...sys.config.kafka, log: testLog() });
  const letter = await until(
    'the refused winner dead-lettered',
    async () => (await listDeadLetters(kafka, sys.config.kafka.deadLetterTopic)).find((l) => l.value.includes(refused)),
    60_000,
  );
  t.regex(letter.error, /refused by the test/);
  await until('the other winner persisted', async () => ((await applicationRows(sys.config, eventId)).length === 1 ? true : undefined));

  const out = join(tmpdir(), `winners-${eventId}.csv`);
  await terning('export', 'winners', '--event', eventId, '--format', 'csv', '--out', out, '--mysql-url', sys.config.mysqlUrl);
  t.regex(readFileSync(out, 'utf8'), new RegExp(refused.replace(/[.+]/g, '\\$&')), 'the export lists the dead-lettered winner');
  t.deepEqual((await outboxRows(sys.config, eventId)).map((r) => r.email).sort(), [other, refused].sort(), 'both winners are mailed');

  // Redis loses the event; the restore rebuilds it from MySQL.
  const k = stores.scripts.keys(eventId);
  await stores.redis.del(k.meta, k.remaining, k.decisions, k.reserved, k.ticketSeq);
  await stores.events.ensureLoaded(eventId);
  await until(
    'the event restored',
    async () => ((await stores.redis.exists(k.restoring)) === 0 && (await stores.redis.exists(k.remaining)) === 1 ? true : undefined),
    60_000,
  );
  t.is(Number(await stores.redis.get(k.remaining)), 0, 'both units are still won');
  t.is((await apply(eventId, randomEmail('late'))).status, 409, 'a newcomer is told SOLD_OUT');
  t.is((await apply(eventId, refused)).status, 200, 'the dead-lettered winner is still told WON');

  await stores.sequelize.query('DROP TRIGGER terning_test_refuse');
  const replayed = await terningJson<ReplayResult>(
    'dlq',
    'replay',
    '--id',
    letter.id,
    '--url',
    sys.url,
    '--admin-key',
    sys.config.adminKey,
  );
  t.deepEqual(replayed.replayed, [letter.id]);
  const rows = await until(
    'the replay persisted',
    async () => {
      const r = await applicationRows(sys.config, eventId);
      return r.length === 2 ? r : undefined;
    },
    30_000,
  );
  t.deepEqual(
    rows.map((r) => [r.person, r.status]).sort(),
    [
      [other, 'WON'],
      [refused, 'WON'],
    ].sort(),
  );
  const [held] = await stores.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM applications WHERE event_id = ?', {
    replacements: [eventId],
    type: QueryTypes.SELECT,
  });
  t.is(Number(held!.n), 2);
});
