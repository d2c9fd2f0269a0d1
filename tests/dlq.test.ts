import test from 'ava';
import { readTopicToEnd } from '../core/adapters/kafka/read-topic.ts';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { produceRaw, topicSize } from './support/kafka.ts';
import { applicationRows } from './support/db.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { terning, terningJson } from './support/cli.ts';
import { createKafka, producerConfig } from '../core/adapters/kafka/client.ts';
import { UserError, EXIT } from '../cli/errors.ts';
import type { DeadLetterView, ReplayResult } from '../core/use-cases/operator/dead-letter-desk.ts';
import type { AuditEntry } from '../core/adapters/mysql/audit-log.ts';
import { openStores } from '../core/stores.ts';

let sys: System;
test.before(async () => {
  sys = await startSystem();
});
test.after.always(async () => {
  await sys?.stop();
});

const target = (actor = 'support-1') => ['--url', sys.url, '--admin-key', sys.config.adminKey, '--actor', actor];
const application = (eventId: string, email: string, ticket: number) =>
  JSON.stringify({ v: 2, eventId, person: email, email, ticket, decidedAt: Date.now() });

/** Units taken at the gate, as an API does before it hands the decisions to Kafka. */
async function reserve(eventId: string, persons: string[]) {
  const stores = openStores(sys.config);
  await stores.scripts.applyMany(eventId, persons, Date.now()).finally(() => stores.close());
}

/** Dead letters as the persister writes them, for decisions that failed while the services hiccupped. */
async function deadLetter(values: string[], error: string) {
  const producer = createKafka({ ...sys.config.kafka, log: testLog() }).producer(producerConfig);
  await producer.connect();
  try {
    await producer.send({
      topic: sys.config.kafka.deadLetterTopic,
      acks: -1,
      messages: values.map((value, i) => ({
        value,
        headers: {
          'x-error': error,
          'x-source-topic': sys.config.kafka.applicationsTopic,
          'x-source-partition': '0',
          'x-source-offset': String(1000 + i),
          'x-failed-at': new Date().toISOString(),
        },
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

test.serial('dead letters are listed with their errors and replayed once; a replay never makes a second winner', async (t) => {
  const eventId = await newEvent(sys, 5);
  const [ann, ben] = [randomEmail('ann'), randomEmail('ben')];
  await reserve(eventId, [ann, ben]);
  await produceRaw(sys.config, [application(eventId, ann, 1), 'this is not an application']);
  await until('ann persisted', async () => ((await applicationRows(sys.config, eventId)).length === 1 ? true : undefined));
  await deadLetter([application(eventId, ann, 1), application(eventId, ben, 2)], 'failed after retries');
  await until('three dead letters', async () => ((await topicSize(sys.config, sys.config.kafka.deadLetterTopic)) === 3 ? true : undefined));

  const listed = await terningJson<DeadLetterView[]>('dlq', 'list', ...target());
  t.is(listed.length, 3);
  const poison = listed.find((l) => l.unreplayable !== null)!;
  const annAgain = listed.find((l) => l.email === ann)!;
  const benLetter = listed.find((l) => l.email === ben)!;
  t.like(poison, { error: 'message is not JSON', eventId: null, replayedAt: null, value: 'this is not an application' });
  t.like(annAgain, { error: 'failed after retries', eventId, unreplayable: null, replayedAt: null });
  t.regex(annAgain.id, /^0:\d+$/);
  const text = await terning('dlq', 'list', ...target());
  t.regex(text, /error: message is not JSON/);
  t.regex(text, /3 dead letters, 2 to replay/);

  const unreplayable = await t.throwsAsync(terning('dlq', 'replay', '--id', poison.id, ...target()), { instanceOf: UserError });
  t.is(unreplayable!.exitCode, EXIT.rejected);
  t.regex(unreplayable!.message, /DEAD_LETTER_UNREPLAYABLE/);

  const replayed = await terningJson<ReplayResult>('dlq', 'replay', '--all', ...target());
  t.deepEqual(replayed.replayed.sort(), [annAgain.id, benLetter.id].sort());
  t.deepEqual(replayed.skipped, [{ id: poison.id, reason: 'message is not JSON' }]);

  await until('ben persisted', async () => ((await applicationRows(sys.config, eventId)).length === 2 ? true : undefined));
  const rows = await applicationRows(sys.config, eventId);
  t.deepEqual(
    rows,
    [
      { person: ann, email: ann, ticket: 1, status: 'WON' },
      { person: ben, email: ben, ticket: 2, status: 'WON' },
    ],
    'ann won once, ben won his unit',
  );
  const event = await terningJson('stock', 'show', '--event', eventId, ...target());
  t.is(event.remainingStock, 3, 'two units taken, not three');

  t.is(await terning('dlq', 'replay', '--all', ...target()), `nothing to replay\nskipped ${poison.id}: message is not JSON`);
  const twice = await t.throwsAsync(terning('dlq', 'replay', '--id', benLetter.id, ...target()), { instanceOf: UserError });
  t.is(twice!.exitCode, EXIT.rejected);
  t.regex(twice!.message, /DEAD_LETTER_REPLAYED/);

  const after = await terningJson<DeadLetterView[]>('dlq', 'list', ...target());
  t.like(
    after.find((l) => l.id === benLetter.id),
    { replayedBy: 'support-1' },
  );
  t.truthy(after.find((l) => l.id === benLetter.id)!.replayedAt);
  t.regex(await terning('dlq', 'list', ...target()), /replayed \S+ by support-1/);
  const audit = await terningJson<AuditEntry[]>('audit', '--event', eventId, ...target());
  t.like(audit[0], { actor: 'support-1', action: 'dlq.replay', eventId, to: { replayedTo: sys.config.kafka.applicationsTopic } });
  t.deepEqual((audit[0]!.from as { deadLettered: string[] }).deadLettered.sort(), [annAgain.id, benLetter.id].sort());
  t.is(audit.filter((e) => e.action === 'dlq.replay').length, 1, 'the empty second replay recorded nothing');
});

test.serial('dlq: bad input is a clear error with a distinct exit code, nothing replayed', async (t) => {
  const neither = await t.throwsAsync(terning('dlq', 'replay', ...target()), { instanceOf: UserError });
  t.is(neither!.exitCode, EXIT.usage);
  t.regex(neither!.message, /--id PARTITION:OFFSET .* or --all/);
  const both = await t.throwsAsync(terning('dlq', 'replay', '--all', '--id', '0:1', ...target()), { instanceOf: UserError });
  t.is(both!.exitCode, EXIT.usage);
  for (const id of ['abc', '0-1', ':', '0:1,x']) {
    const e = await t.throwsAsync(terning('dlq', 'replay', '--id', id, ...target()));
    t.regex(e!.message, /a dead letter id is PARTITION:OFFSET/, id);
  }
  const unknown = await t.throwsAsync(terning('dlq', 'replay', '--id', '0:999999', ...target()), { instanceOf: UserError });
  t.is(unknown!.exitCode, EXIT.rejected);
  t.regex(unknown!.message, /DEAD_LETTER_NOT_FOUND/);
  const admin = { adminKey: sys.config.adminKey };
  for (const body of [{}, { ids: [] }, { all: false }, { all: true, ids: ['0:1'] }, { ids: ['0:1'], extra: 1 }, { ids: 'x' }]) {
    const r = await http(sys.url, 'POST', '/api/admin/dlq/replay', { ...admin, body });
    t.is(r.status, 400, JSON.stringify(body));
    t.is(r.body.error.code, 'VALIDATION_FAILED');
  }
  t.is((await http(sys.url, 'GET', '/api/admin/dlq')).status, 401);
  t.is((await http(sys.url, 'POST', '/api/admin/dlq/replay', { adminKey: 'wrong', body: { all: true } })).status, 401);
  const bad = await http(sys.url, 'POST', '/api/admin/dlq/replay', {
    ...admin,
    body: { all: true },
    headers: { 'X-ADMIN-ACTOR': 'bad actor' },
  });
  t.is(bad.status, 400);
  t.is(bad.body.error.code, 'ACTOR_INVALID');
  const away = await t.throwsAsync(terning('dlq', 'list', '--url', 'http://127.0.0.1:9', '--admin-key', 'x'), { instanceOf: UserError });
  t.is(away!.exitCode, EXIT.unreachable);
});

test.serial("a replay is keyed by the person, as the API keys its own records: an alias lands on its person's partition", async (t) => {
  const eventId = await newEvent(sys, 5);
  const person = randomEmail('alias');
  const [local, domain] = person.split('@');
  const typed = `${local}+spring@${domain}`;
  await reserve(eventId, [person]);
  await deadLetter([JSON.stringify({ v: 2, eventId, person, email: typed, ticket: 1, decidedAt: Date.now() })], 'failed after retries');
  const letter = await until('the letter listed', async () =>
    (await terningJson<DeadLetterView[]>('dlq', 'list', ...target())).find((l) => l.email === typed),
  );
  t.like(letter, { person, email: typed, unreplayable: null });
  await terningJson('dlq', 'replay', '--id', letter.id, ...target());
  const keys: (string | null)[] = [];
  await readTopicToEnd(
    createKafka({ ...sys.config.kafka, log: testLog() }),
    sys.config.kafka.applicationsTopic,
    (_p, m) => {
      if (m.headers?.['x-replayed-from']?.toString().endsWith(`/${letter.id}`)) keys.push(m.key?.toString() ?? null);
    },
    { reader: 'dlq-test', timeoutMs: 30_000 },
  );
  t.deepEqual(keys, [person]);
});
