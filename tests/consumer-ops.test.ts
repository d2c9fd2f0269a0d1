import test from 'ava';
import { startSystem, newEvent, randomEmail, testLog, type System } from './support/system.ts';
import { envFor, spawnTerning, type Running } from './support/processes.ts';
import { http } from './support/http.ts';
import { until } from './support/wait.ts';
import { produceRaw } from './support/kafka.ts';
import { applicationRows } from './support/db.ts';
import { encodeApplication } from '../core/adapters/kafka/codec.ts';
import { openStores } from '../core/stores.ts';
import { createKafka } from '../core/adapters/kafka/client.ts';

let sys: System;
test.before(async () => {
  sys = await startSystem({ consumer: false });
});
test.after.always(async () => {
  await sys?.stop();
});

async function spawnConsumer(extra: Record<string, string> = {}): Promise<Running & { ops: string }> {
  const p = spawnTerning(['consumer', '--no-emails'], envFor(sys.config, extra));
  const line = await p.waitFor(/consumer running/);
  return Object.assign(p, { ops: JSON.parse(line).ops as string });
}

const committed = async () => {
  const admin = createKafka({ ...sys.config.kafka, log: testLog() }).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: sys.config.kafka.groupId, topics: [sys.config.kafka.applicationsTopic] });
    return t!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
};

test.serial('the consumer process serves healthz, readyz and metrics: persisted and void decisions, lag, outbox', async (t) => {
  const consumer = await spawnConsumer();
  try {
    t.is((await http(consumer.ops, 'GET', '/healthz')).status, 200);
    await until('the group joined', async () => ((await http(consumer.ops, 'GET', '/readyz')).status === 200 ? true : undefined));
    const eventId = await newEvent(sys, 2);
    const answers: number[] = [];
    for (let i = 0; i < 3; i++)
      answers.push(
        (await http(sys.url, 'POST', `/api/events/${eventId}/apply`, { token: await sys.tokens.issue(randomEmail('ops')) })).status,
      );
    t.deepEqual(answers, [202, 202, 409]);
    // A decision whose reservation is gone (released): read, and void.
    await produceRaw(sys.config, [
      encodeApplication({ eventId, person: 'gone@example.test', email: 'gone@example.test', ticket: 99, decidedAt: Date.now() }),
    ]);
    const metrics = await until(
      'the decisions counted and the lag gauge at 0',
      async () => {
        const m = String((await http(consumer.ops, 'GET', '/metrics')).body);
        return /terning_decisions_persisted_total\{[^}]*result="persisted"[^}]*\} 2/.test(m) &&
          /terning_decisions_persisted_total\{[^}]*result="void"[^}]*\} 1/.test(m) &&
          /terning_consumer_lag\{[^}]*partition="0"[^}]*\} 0/.test(m)
          ? m
          : undefined;
      },
      30_000,
      500,
    );
    t.regex(metrics, /terning_email_outbox\{[^}]*state="queued"/);
    t.regex(metrics, /service="terning-consumer"/);
  } finally {
    consumer.child.kill('SIGTERM');
    t.is((await consumer.exited).code, 0);
  }
});

test.serial(
  'on SIGTERM the consumer finishes its batch, commits only what is stored, exits 0; the next one finishes the rest',
  async (t) => {
    const eventId = await newEvent(sys, 4_000);
    const start = await committed();
    const n = 4_000;
    const emails = Array.from({ length: n }, (_, i) => `sigterm-${i}-${randomEmail()}`);
    // Reserved at the gate in one go, as a herd's API would; the records are then what consumers persist.
    const stores = openStores(sys.config);
    const gate = await stores.scripts.applyMany(eventId, emails, Date.now()).finally(() => stores.close());
    await produceRaw(
      sys.config,
      emails.map((email, i) =>
        encodeApplication({ eventId, person: email, email, ticket: (gate[i] as { ticket: number }).ticket, decidedAt: Date.now() }),
      ),
    );
    // The test-only fault point holds the persister after its first chunk is stored, before its commit:
    // SIGTERM lands in the middle of a batch.
    const first = await spawnConsumer({ TERNING_FAULT_POINT: 'after-write', TERNING_FAULT_PAUSE_MS: '1500' });
    await first.waitFor(/terning-fault-point after-write/);
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    t.is(exit.code, 0, first.output.slice(-5).join('\n'));
    t.true(first.output.some((l) => /consumer stopped/.test(l)));
    const stored = (await applicationRows(sys.config, eventId)).length;
    const done = (await committed()) - start;
    t.log(`stopped after ${stored} of ${n} persisted, ${done} committed`);
    t.true(stored > 0 && stored < n, 'stopped in the middle');
    t.true(done <= stored, `committed ${done} messages, stored ${stored} rows: never an offset without its row`);

    const second = await spawnConsumer();
    try {
      const rows = await until(
        'all persisted',
        async () => {
          const r = await applicationRows(sys.config, eventId);
          return r.length === n ? r : undefined;
        },
        60_000,
        200,
      ).catch((e) => {
        t.log(second.output.slice(-8).join('\n'));
        throw e;
      });
      t.true(rows.every((r) => r.status === 'WON'));
      t.deepEqual(
        rows.map((r) => r.ticket),
        Array.from({ length: n }, (_, i) => i + 1),
      );
      t.is(new Set(rows.map((r) => r.email)).size, n);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  },
);
