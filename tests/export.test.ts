import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../core/platform/config.ts';
import { createSequelize } from '../core/adapters/mysql/sequelize.ts';
import { QueryTypes } from 'sequelize';
import { sqlTime } from '../core/adapters/mysql/sql-time.ts';
import { randomEventId, rand } from './support/system.ts';
import { terning } from './support/cli.ts';
import { UserError, EXIT } from '../cli/errors.ts';
import { Writable } from 'node:stream';
import { exportWinners } from '../core/use-cases/operator/export-winners.ts';
import { WinnersTable } from '../core/adapters/mysql/winners-table.ts';
import { requireTools } from '../infra/tools.ts';
import { TMUX } from './support/tools.ts';
import { until } from './support/wait.ts';

const config = loadConfig();
const WINNERS = 3000;
const BIN = fileURLToPath(new URL('../bin/terning.js', import.meta.url));

interface Winner {
  ticket: number;
  person: string;
  email: string;
  appliedAt: string | null;
  decidedAt: string;
}
let eventId: string;
let winners: Winner[];
let emptyEventId: string;
const dir = mkdtempSync(join(tmpdir(), 'terning-export-'));

/** An event with a few thousand winners (and losers between them), inserted in bulk. */
test.before(async () => {
  const db = createSequelize(config.mysqlUrl, { pool: 1 });
  try {
    eventId = randomEventId();
    emptyEventId = randomEventId();
    const now = sqlTime(Date.now());
    for (const id of [eventId, emptyEventId]) {
      await db.query('INSERT INTO events (id, name, total_stock, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', {
        replacements: [id, `export ${id}`, WINNERS, 'closed', now, now],
      });
    }
    const base = Date.parse('2026-03-01T01:00:00.000Z');
    const rows: { person: string; email: string; ticket: number; status: string; applied: number | null; decided: number }[] = [];
    for (let ticket = 1; ticket <= WINNERS + 500; ticket++) {
      // Released reservations (and LOST rows from before decisions were made at arrival) are no winners.
      const status = ticket <= WINNERS ? 'WON' : ticket % 2 ? 'RELEASED' : 'LOST';
      const person = ticket === 7 ? `"odd,one"-${rand()}@example.test` : `w${ticket}-${rand()}@example.test`;
      const email = ticket % 3 === 0 ? person.replace('@', '+gift@') : person;
      rows.push({ person, email, ticket, status, applied: ticket === 11 ? null : base + ticket * 3, decided: base + ticket * 3 + 250 });
    }
    // Inserted out of ticket order: the export orders them.
    rows.reverse();
    for (let i = 0; i < rows.length; i += 1000) {
      const chunk = rows.slice(i, i + 1000);
      await db.query(
        `INSERT INTO applications (event_id, person, email, ticket, status, applied_at, decided_at, created_at) VALUES ${chunk.map(() => '(?,?,?,?,?,?,?,?)').join(',')}`,
        {
          replacements: chunk.flatMap((r) => [
            eventId,
            r.person,
            r.email,
            r.ticket,
            r.status,
            r.applied === null ? null : sqlTime(r.applied),
            sqlTime(r.decided),
            now,
          ]),
        },
      );
    }
    winners = rows
      .filter((r) => r.status === 'WON')
      .sort((a, b) => a.ticket - b.ticket)
      .map((r) => ({
        ticket: r.ticket,
        person: r.person,
        email: r.email,
        appliedAt: r.applied === null ? null : new Date(r.applied).toISOString(),
        decidedAt: new Date(r.decided).toISOString(),
      }));
  } finally {
    await db.close();
  }
});

const csvField = (v: string | number | null) =>
  v === null ? '' : /[",]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v);
const expected = {
  csv: () =>
    `ticket,person,email,applied_at,decided_at\n${winners.map((w) => `${[w.ticket, w.person, w.email, w.appliedAt, w.decidedAt].map(csvField).join(',')}\n`).join('')}`,
  json: () => `[\n${winners.map((w) => JSON.stringify(w)).join(',\n')}\n]\n`,
  ndjson: () => winners.map((w) => `${JSON.stringify(w)}\n`).join(''),
};

for (const format of ['csv', 'json', 'ndjson'] as const) {
  test(`export winners --format ${format}: every winner in ticket order, exactly`, async (t) => {
    const out = join(dir, `winners.${format}`);
    await terning('export', 'winners', '--event', eventId, '--format', format, '--out', out);
    const text = readFileSync(out, 'utf8');
    t.is(text, expected[format]());
    t.false(existsSync(`${out}.partial`));
  });
}

test('the exact shapes: quoting in CSV, a missing applied_at, JSON that parses back', (t) => {
  t.true(expected.csv().includes(`7,"""odd,one""-`), 'a field with a comma or quote is quoted, its quotes doubled');
  t.true(expected.csv().includes('\n11,w11-'), 'row 11 is there');
  t.regex(expected.csv(), /\n11,w11-[^,]+,w11-[^,]+,,2026-03-01T01:00:00\.283Z\n/);
  t.regex(expected.csv(), /\n12,(w12-[^@]+)@example\.test,\1\+gift@example\.test,/, 'the person and the address they typed');
  t.is(JSON.parse(expected.json()).length, WINNERS);
});

test('csv is the default format; standard output when there is no --out (through the bin)', async (t) => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [BIN, 'export', 'winners', '--event', eventId, ...args], { maxBuffer: 64 * 1024 * 1024 });
  const { stdout, stderr } = await run([]);
  t.is(stdout, expected.csv());
  t.is(stderr, '', 'no progress bar when stderr is not a terminal');
  t.is((await run(['--format', 'ndjson'])).stdout, expected.ndjson());
});

test('an event without winners exports just the frame of each format', async (t) => {
  for (const [format, text] of [
    ['csv', 'ticket,person,email,applied_at,decided_at\n'],
    ['json', '[]\n'],
    ['ndjson', ''],
  ] as const) {
    const out = join(dir, `empty.${format}`);
    await terning('export', 'winners', '--event', emptyEventId, '--format', format, '--out', out);
    t.is(readFileSync(out, 'utf8'), text, format);
  }
});

test('bad input: a clear error and a distinct exit code, no file left behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'terning-export-bad-'));
  const format = await t.throwsAsync(terning('export', 'winners', '--event', eventId, '--format', 'xml'));
  t.regex(format!.message, /argument 'xml' is invalid\. Allowed choices are csv, json, ndjson/);
  t.is((format as { code?: string }).code, 'commander.invalidArgument');

  const noDir = await t.throwsAsync(terning('export', 'winners', '--event', eventId, '--out', join(dir, 'no-such-dir', 'w.csv')), {
    instanceOf: UserError,
  });
  t.is(noDir!.exitCode, EXIT.failed);
  t.regex(noDir!.message, /cannot write .*no-such-dir\/w\.csv: ENOENT/);
  const isDir = await t.throwsAsync(terning('export', 'winners', '--event', eventId, '--out', dir), { instanceOf: UserError });
  t.is(isDir!.exitCode, EXIT.failed);
  t.regex(isDir!.message, /it is a directory/);

  const unknown = await t.throwsAsync(terning('export', 'winners', '--event', 'no-such-event', '--out', join(dir, 'unknown.csv')), {
    instanceOf: UserError,
  });
  t.is(unknown!.exitCode, EXIT.rejected);
  t.regex(unknown!.message, /there is no event "no-such-event" \(EVENT_NOT_FOUND\)/);
  t.false(existsSync(join(dir, 'unknown.csv')));

  const away = await t.throwsAsync(
    terning('export', 'winners', '--event', eventId, '--mysql-url', 'mysql://root@127.0.0.1:9/terning', '--out', join(dir, 'away.csv')),
    { instanceOf: UserError },
  );
  t.is(away!.exitCode, EXIT.unreachable);
  t.regex(away!.message, /MySQL at 127\.0\.0\.1:9 did not answer \(ECONNREFUSED\)/);

  const badUrl = await t.throwsAsync(terning('export', 'winners', '--mysql-url', 'nonsense'), { instanceOf: UserError });
  t.is(badUrl!.exitCode, EXIT.usage);
  t.regex(badUrl!.message, /MYSQL_URL/);

  const noDb = new URL(config.mysqlUrl);
  noDb.pathname = `/terning_missing_${rand().replace(/-/g, '')}`;
  const missing = await t.throwsAsync(
    terning('export', 'winners', '--event', eventId, '--mysql-url', noDb.toString(), '--out', join(dir, 'missing.csv')),
    { instanceOf: UserError },
  );
  t.is(missing!.exitCode, EXIT.failed);
  t.regex(missing!.message, /refused: Unknown database/);
  t.deepEqual(readdirSync(dir), [], 'no file, not even a partial one');
});

test('through the bin, each failure exits with its own code and says why on stderr', async (t) => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, [BIN, 'export', 'winners', ...args]).then(
      () => null,
      (e) => e as { code: number; stderr: string },
    );
  const format = await run(['--format', 'xml']);
  t.is(format!.code, EXIT.usage);
  t.regex(format!.stderr, /Allowed choices are csv, json, ndjson/);
  const unknown = await run(['--event', 'no-such-event']);
  t.is(unknown!.code, EXIT.rejected);
  t.regex(unknown!.stderr, /terning: there is no event "no-such-event"/);
  const noDir = await run(['--event', eventId, '--out', '/no-such-dir/w.csv']);
  t.is(noDir!.code, EXIT.failed);
  const away = await run(['--mysql-url', 'mysql://root@127.0.0.1:9/terning']);
  t.is(away!.code, EXIT.unreachable);
});

test('a slow reader slows the query down: rows are not read ahead of what is written', async (t) => {
  let release!: () => void;
  const stalled = new Promise<void>((r) => {
    release = r;
  });
  let firstChunk!: () => void;
  const started = new Promise<void>((r) => {
    firstChunk = r;
  });
  let written = '';
  const out = new Writable({
    write(chunk, _enc, done) {
      written += chunk;
      firstChunk();
      void stalled.then(() => done());
    },
  });
  let read = 0;
  const sequelize = createSequelize(config.mysqlUrl, { pool: 1 });
  t.teardown(() => sequelize.close());
  const exported = exportWinners(new WinnersTable(sequelize), {
    eventId,
    format: 'ndjson',
    out,
    onProgress: (p) => {
      read = p.rows;
    },
  });
  await started;
  await new Promise((r) => setTimeout(r, 1_000));
  t.true(read < WINNERS, `read ${read} of ${WINNERS} rows while the reader was stalled`);
  release();
  t.deepEqual(await exported, { rows: WINNERS, total: WINNERS });
  t.is(written, expected.ndjson());
});

test('on a terminal, a progress bar on stderr (a real one: tmux)', async (t) => {
  const { tmux } = await requireTools('the export test', [TMUX], () => {});
  const socket = `terning-export-${rand()}`;
  const out = join(dir, 'tty.csv');
  const command = `env MYSQL_URL=${config.mysqlUrl} ${process.execPath} bin/terning.js export winners --event ${eventId} --out ${out}; echo "export exited with $?"; sleep 600`;
  const root = fileURLToPath(new URL('..', import.meta.url));
  await promisify(execFile)(tmux!, ['-L', socket, 'new-session', '-d', '-s', 'x', '-x', '120', '-y', '10', '-c', root, command]);
  try {
    const screen = await until(
      'the export to finish',
      async () => {
        const s = (await promisify(execFile)(tmux!, ['-L', socket, 'capture-pane', '-p', '-t', 'x'])).stdout;
        return /export exited with \d+/.test(s) ? s : undefined;
      },
      60_000,
      200,
    );
    t.regex(screen, new RegExp(`exporting ${eventId} \\[█{30}\\] 100%  ${WINNERS}/${WINNERS}`));
    t.regex(screen, new RegExp(`exported ${WINNERS} winners of ${eventId} to ${out}`));
    t.regex(screen, /export exited with 0/);
    t.is(readFileSync(out, 'utf8'), expected.csv(), 'the bar went to stderr, not into the file');
  } finally {
    await promisify(execFile)(tmux!, ['-L', socket, 'kill-server']).catch(() => {});
  }
});

test('a reader that stops early: the export fails, and its connection is closed, not handed back with the query still reading', async (t) => {
  // One connection in the pool: the export runs on the one this query opened.
  const sequelize = createSequelize(config.mysqlUrl, { pool: 1 });
  t.teardown(() => sequelize.close());
  const [{ id }] = (await sequelize.query<{ id: number }>('SELECT CONNECTION_ID() AS id', { type: QueryTypes.SELECT })) as [{ id: number }];
  let fail!: (e: Error) => void;
  const failed = new Promise<Error>((r) => {
    fail = r;
  });
  let firstChunk!: () => void;
  const started = new Promise<void>((r) => {
    firstChunk = r;
  });
  const out = new Writable({
    write(_chunk, _enc, done) {
      firstChunk();
      void failed.then((e) => done(e));
    },
  });
  const exported = exportWinners(new WinnersTable(sequelize), { eventId, format: 'ndjson', out });
  await started;
  fail(new Error('the disk is full'));
  await t.throwsAsync(exported, { message: 'the disk is full' });
  // The pool opens a new one for what comes next: handed back, the old one would have been reused.
  const [{ id: next }] = (await sequelize.query<{ id: number }>('SELECT CONNECTION_ID() AS id', { type: QueryTypes.SELECT })) as [
    { id: number },
  ];
  t.not(Number(next), Number(id), 'the pool gave out the export connection again');
  const watcher = createSequelize(config.mysqlUrl, { pool: 1 });
  t.teardown(() => watcher.close());
  const open = async () =>
    (await watcher.query<{ ID: number }>('SELECT ID FROM information_schema.PROCESSLIST', { type: QueryTypes.SELECT })).map((r) =>
      Number(r.ID),
    );
  t.true(
    await until('the export connection closed', async () => ((await open()).includes(Number(id)) ? undefined : true), 15_000).catch(
      () => false,
    ),
    `connection ${id} is still open: it went back to the pool`,
  );
});

test("the winners' stream destroyed before it is read closes its connection too", async (t) => {
  const sequelize = createSequelize(config.mysqlUrl, { pool: 1 });
  t.teardown(() => sequelize.close());
  const [{ id }] = (await sequelize.query<{ id: number }>('SELECT CONNECTION_ID() AS id', { type: QueryTypes.SELECT })) as [{ id: number }];
  const rows = await new WinnersTable(sequelize).stream(eventId);
  rows.destroy();
  // With one connection in the pool, this waits for the stream's connection to be closed or handed back.
  const [{ id: next }] = (await sequelize.query<{ id: number }>('SELECT CONNECTION_ID() AS id', { type: QueryTypes.SELECT })) as [
    { id: number },
  ];
  t.not(Number(next), Number(id));
});
