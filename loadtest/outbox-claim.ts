import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { QueryTypes, type Sequelize } from 'sequelize';
import { createSequelize, ensureDatabase } from '../core/adapters/mysql/sequelize.ts';
import { createMigrator } from '../core/adapters/mysql/migrator.ts';
import { OutboxRepo, CLAIM_SQL } from '../core/adapters/mysql/outbox-repo.ts';
import { sqlTime } from '../core/adapters/mysql/sql-time.ts';
import { median } from './stats.ts';

const HELP = `npm run outbox-claim -- [options]

What one claim of the email outbox costs (the sender's UPDATE ... LIMIT 14, then the SELECT of its
lease) when the outbox is new and after a million emails were sent: a database of its own
(terning_outbox_<random>, dropped at the end) is migrated and filled with --queued winner emails, the
claim is timed, --sent of them are marked sent, and it is timed again. Beside each time: the rows
MySQL read for it (Handler_read_* of the session) and the claim's plan (EXPLAIN).

  --queued N    emails queued at the start (1100000)
  --sent N      of them marked sent before the second measure (1000000)
  --claims N    claims timed at each point; the median is printed (50)
  --batch N     emails a claim takes, as the sender at SES's 14/s (14)
  --mysql-url URL   the server (MYSQL_URL's); a database of its own is made on it
`;

const { values } = parseArgs({
  options: {
    queued: { type: 'string' },
    sent: { type: 'string' },
    claims: { type: 'string' },
    batch: { type: 'string' },
    'mysql-url': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const queued = Number(values.queued ?? 1_100_000);
const sent = Number(values.sent ?? 1_000_000);
const claims = Number(values.claims ?? 50);
const batch = Number(values.batch ?? 14);
if (![queued, sent, claims, batch].every((n) => Number.isInteger(n) && n > 0) || sent + claims * batch > queued) {
  process.stderr.write('--queued, --sent, --claims and --batch are positive integers, and --queued must hold --sent plus every claim\n');
  process.exit(2);
}

const say = (s: string) =>
  process.stdout.write(
    `[outbox] ${s}  (load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})\n`,
  );
const url = new URL(values['mysql-url'] ?? process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/terning');
const name = `terning_outbox_${randomUUID().slice(0, 8)}`;
url.pathname = `/${name}`;
await ensureDatabase(url.toString());
const db = createSequelize(url.toString(), { pool: 1 });

/** Rows the server read for `run` on this session's one connection: every Handler_read_* counter. */
async function rowsRead(run: () => Promise<unknown>): Promise<number> {
  const read = async () =>
    (
      await db.query<{ Variable_name: string; Value: string }>("SHOW SESSION STATUS LIKE 'Handler_read%'", { type: QueryTypes.SELECT })
    ).reduce((a, r) => a + Number(r.Value), 0);
  const before = await read();
  await run();
  // The SHOW itself reads nothing from a table.
  return (await read()) - before;
}

async function fill(seq: Sequelize, n: number) {
  const eventId = `outbox-${randomUUID().slice(0, 8)}`;
  const at = sqlTime(Date.now() - 60_000);
  await seq.query('INSERT INTO events (id, name, total_stock, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', {
    replacements: [eventId, 'outbox claim', n, 'closed', at, at],
  });
  const CHUNK = 5_000;
  for (let i = 0; i < n; i += CHUNK) {
    const rows = Array.from(
      { length: Math.min(CHUNK, n - i) },
      (_, j) => `('${eventId}', 'w${i + j}@outbox.test', 'winner', 'queued', 0, '${at}', '${at}')`,
    );
    await seq.query(
      `INSERT INTO email_outbox (event_id, email, kind, status, attempts, next_attempt_at, created_at) VALUES ${rows.join(',')}`,
    );
  }
}

/** `claims` claims, each marked sent as the sender does; their median time and rows read. */
async function measure(repo: OutboxRepo) {
  const ms: number[] = [];
  const reads: number[] = [];
  for (let i = 0; i < claims; i++) {
    let got = 0;
    reads.push(
      await rowsRead(async () => {
        const started = performance.now();
        got = (await repo.claim(batch)).length;
        ms.push(performance.now() - started);
      }),
    );
    if (got !== batch) throw new Error(`a claim took ${got} emails, not ${batch}`);
    await db.query(
      "UPDATE email_outbox SET status = 'sent', lock_owner = NULL, locked_until = NULL WHERE lock_owner IS NOT NULL AND status = 'queued'",
    );
  }
  return { ms: Math.round(median(ms) * 100) / 100, rows: median(reads) };
}

async function plan() {
  const now = sqlTime(Date.now());
  const rows = await db.query<Record<string, unknown>>(`EXPLAIN ${CLAIM_SQL}`, {
    replacements: ['x', now, now, now, batch],
    type: QueryTypes.SELECT,
  });
  return rows.map((r) => `key ${r.key ?? 'none'}, rows ~${r.rows}, ${r.Extra ?? ''}`).join('; ');
}

try {
  say(`database ${name}: migrating, then queueing ${queued} winner emails`);
  await createMigrator(db).up();
  await fill(db, queued);
  const repo = new OutboxRepo(db);
  const start = await measure(repo);
  say(
    `claim of ${batch} with ${queued} queued, none sent: ${start.ms} ms median of ${claims}, ${start.rows} rows read; plan: ${await plan()}`,
  );
  say(`marking ${sent} of them sent`);
  const CHUNK = 50_000;
  for (let done = 0; done < sent; done += CHUNK) {
    await db.query("UPDATE email_outbox SET status = 'sent', sent_at = NOW(3) WHERE status = 'queued' ORDER BY id LIMIT ?", {
      replacements: [Math.min(CHUNK, sent - done)],
    });
  }
  const after = await measure(repo);
  say(
    `claim of ${batch} after ${sent + claims * batch} sent, ${queued - sent - 2 * claims * batch} queued: ${after.ms} ms median of ${claims}, ${after.rows} rows read; plan: ${await plan()}`,
  );
  say(
    `the claim after a million sent costs x${Math.round((after.ms / start.ms) * 100) / 100} the time and x${Math.round((after.rows / Math.max(1, start.rows)) * 100) / 100} the rows read of the first`,
  );
} finally {
  await db.query(`DROP DATABASE \`${name}\``);
  await db.close();
}
