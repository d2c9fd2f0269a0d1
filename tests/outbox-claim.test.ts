import test from 'ava';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createSequelize, ensureDatabase } from '../core/adapters/mysql/sequelize.ts';
import { createMigrator } from '../core/adapters/mysql/migrator.ts';
import { OutboxRepo } from '../core/adapters/mysql/outbox-repo.ts';
import { sqlTime } from '../core/adapters/mysql/sql-time.ts';
import { loadConfig } from '../core/platform/config.ts';
import { rand } from './support/system.ts';

// A claim takes any due email of the table, so the outbox here is a database of its own.
let db: Sequelize;
let name: string;
test.before(async () => {
  const url = new URL(loadConfig().mysqlUrl);
  name = `terning_outbox_${rand()}`;
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  // One connection: the session's counters are the claim's.
  db = createSequelize(url.toString(), { pool: 1 });
  await createMigrator(db).up();
});
test.after.always(async () => {
  await db?.query(`DROP DATABASE \`${name}\``);
  await db?.close();
});

async function queue(n: number, o: { status?: string; dueInMs?: number } = {}): Promise<number[]> {
  const eventId = `ev-${rand()}`;
  const due = sqlTime(Date.now() + (o.dueInMs ?? -60_000));
  const rows = Array.from(
    { length: n },
    (_, i) => `('${eventId}', 'p${i}@outbox.test', 'winner', '${o.status ?? 'queued'}', '${due}', '${due}')`,
  );
  for (let i = 0; i < rows.length; i += 2_000) {
    await db.query(
      `INSERT INTO email_outbox (event_id, email, kind, status, next_attempt_at, created_at) VALUES ${rows.slice(i, i + 2_000).join(',')}`,
    );
  }
  const ids = await db.query<{ id: number }>('SELECT id FROM email_outbox WHERE event_id = ? ORDER BY id', {
    replacements: [eventId],
    type: QueryTypes.SELECT,
  });
  return ids.map((r) => Number(r.id));
}

/** The rows the server read (every Handler_read_* of the session) for `run`. */
async function rowsRead(run: () => Promise<unknown>): Promise<number> {
  const read = async () =>
    (await db.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Handler_read%'", { type: QueryTypes.SELECT })).reduce(
      (a, r) => a + Number(r.Value),
      0,
    );
  const before = await read();
  await run();
  return (await read()) - before;
}

test.serial('a claim reads about the rows it takes, however many emails were sent or wait behind', async (t) => {
  await queue(3_000, { status: 'sent' });
  const waiting = await queue(3_000);
  const repo = new OutboxRepo(db);
  let claimed: number[] = [];
  const read = await rowsRead(async () => {
    claimed = (await repo.claim(14)).map((i) => i.id);
  });
  t.deepEqual(claimed, waiting.slice(0, 14), 'the oldest due emails, in order');
  // On the primary key the claim walked past every sent email; by its lease, the read-back scanned the table.
  t.true(read < 100, `${read} rows read for a claim of 14 among 6,000 emails`);
  await db.query("UPDATE email_outbox SET status = 'sent' WHERE status = 'queued' AND lock_owner IS NOT NULL");
});

test.serial('a claim leaves emails leased by another sender and those not due yet', async (t) => {
  await db.query("UPDATE email_outbox SET status = 'sent' WHERE status = 'queued'");
  const later = await queue(5, { dueInMs: 60_000 });
  const due = await queue(20);
  const repo = new OutboxRepo(db);
  const first = (await repo.claim(14)).map((i) => i.id);
  const second = (await repo.claim(14)).map((i) => i.id);
  t.deepEqual(first, due.slice(0, 14));
  t.deepEqual(second, due.slice(14));
  t.deepEqual(await repo.claim(14), [], `none of ${later.join(', ')} before their time`);
});
