import { Command, Option } from 'commander';
import type { Sequelize } from 'sequelize';
import { open, rename, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError } from '../../core/platform/errors.ts';
import { exportWinners } from '../../core/use-cases/operator/export-winners.ts';
import { WinnersTable } from '../../core/adapters/mysql/winners-table.ts';
import { createSequelize } from '../../core/adapters/mysql/sequelize.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../../core/use-cases/operator/export-format.ts';
import { UserError, EXIT } from '../errors.ts';
import { eventArgument, withConfigFile } from '../options.ts';
import { resolveSettings } from '../settings.ts';
import { progressBar } from '../progress.ts';

interface ExportOptions {
  event?: string;
  format: ExportFormat;
  out?: string;
  mysqlUrl?: string;
  config?: string;
}

/** Opens the file to write into: a .partial beside --out, renamed once the export is whole. */
async function openOut(out: string) {
  const path = resolve(out);
  const existing = await stat(path).catch(() => null);
  if (existing?.isDirectory()) throw new UserError(`cannot write ${path}: it is a directory`, EXIT.failed);
  const partial = `${path}.partial`;
  const handle = await open(partial, 'w').catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot write ${path}: ${e.code ?? e.message}`, EXIT.failed);
  });
  return {
    stream: handle.createWriteStream(),
    done: () => rename(partial, path),
    abandon: () => rm(partial, { force: true }),
  };
}

function explain(e: unknown, mysqlUrl: string): never {
  if (e instanceof UserError) throw e;
  if (e instanceof AppError) throw new UserError(`${e.message} (${e.code})`, EXIT.rejected);
  // Sequelize wraps the driver's error: its code (ECONNREFUSED, ER_BAD_DB_ERROR) is on the original.
  const cause = ((e as { parent?: unknown }).parent ?? e) as NodeJS.ErrnoException;
  const code = cause.code;
  const where = new URL(mysqlUrl).host;
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
    throw new UserError(
      `MySQL at ${where} did not answer (${code}); check --mysql-url, MYSQL_URL or "mysqlUrl" in the config file`,
      EXIT.unreachable,
    );
  }
  if (typeof code === 'string' && code.startsWith('ER_')) throw new UserError(`MySQL at ${where} refused: ${cause.message}`, EXIT.failed);
  if ((e as NodeJS.ErrnoException).syscall === 'write') throw new UserError(`the export could not be written: ${code}`, EXIT.failed);
  throw e;
}

export function exportCommand(): Command {
  const cmd = new Command('export').description('export data for support, straight from MySQL');
  withConfigFile(cmd.command('winners'))
    .description("export an event's winners in ticket order, streamed (a million rows are fine)")
    .option('--event <id>', 'the event (default: the default event)', eventArgument)
    .addOption(new Option('--format <format>', 'the output format').choices(EXPORT_FORMATS).default('csv'))
    .option('--out <file>', 'write to this file (default: standard output)')
    .option('--mysql-url <url>', 'the database (env MYSQL_URL)')
    .addHelpText(
      'after',
      [
        '',
        'Columns: ticket, person, email, applied_at, decided_at (UTC, ISO 8601). A progress bar shows on a terminal.',
        '',
        'Examples:',
        '  terning export winners --event spring-sale --out winners.csv',
        '  terning export winners --format ndjson | gzip > winners.ndjson.gz',
        '  terning export winners --format json --mysql-url mysql://support@db:3306/terning --out winners.json',
      ].join('\n'),
    )
    .action(async (o: ExportOptions) => {
      const s = resolveSettings({ config: o.config, mysqlUrl: o.mysqlUrl });
      const eventId = o.event ?? s.defaultEventId;
      const file = o.out ? await openOut(o.out) : null;
      const bar = progressBar(process.stderr, `exporting ${eventId}`);
      let sequelize: Sequelize | undefined;
      try {
        sequelize = createSequelize(s.mysqlUrl, { pool: 1 });
        const { rows } = await exportWinners(new WinnersTable(sequelize), {
          eventId,
          format: o.format,
          out: file?.stream ?? process.stdout,
          keepOpen: !file,
          onProgress: (p) => bar.update(p.rows, p.total),
        });
        bar.end();
        await file?.done();
        if (o.out) console.error(`exported ${rows} winners of ${eventId} to ${resolve(o.out)}`);
      } catch (e) {
        await file?.abandon();
        explain(e, s.mysqlUrl);
      } finally {
        await sequelize?.close().catch(() => {});
      }
    });
  return cmd;
}
