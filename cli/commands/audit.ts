import { Command, InvalidArgumentError } from 'commander';
import type { AuditEntry } from '../../core/adapters/mysql/audit-log.ts';
import { adminCall } from '../admin-client.ts';
import { withTarget, target, type TargetOptions } from '../options.ts';

const limit = (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10_000)
    throw new InvalidArgumentError('the limit is a whole number from 1 to 10000');
  return Number(v);
};

const show = (v: unknown) => (v === null || v === undefined ? '-' : JSON.stringify(v));

/** The audit trail: every operator change that took effect, newest first. */
export function auditCommand(): Command {
  return withTarget(new Command('audit'))
    .description('show who changed what and when (stock, open, close, replays), newest first')
    .option('--limit <n>', 'how many entries', limit, 50)
    .addHelpText('after', '\nExamples:\n  terning audit\n  terning audit --event spring-sale --limit 10\n  terning audit --json')
    .action(async (o: TargetOptions & { limit: number }) => {
      const query = new URLSearchParams({ limit: String(o.limit), ...(o.event ? { event: o.event } : {}) });
      const { entries } = await adminCall<{ entries: AuditEntry[] }>(target(o), 'GET', `/api/admin/audit?${query}`);
      if (o.json) return console.log(JSON.stringify(entries, null, 2));
      if (entries.length === 0) return console.log('no changes recorded');
      for (const e of entries) {
        console.log(
          `${e.at}  ${e.actor.padEnd(16)} ${e.action.padEnd(12)} ${(e.eventId ?? '-').padEnd(20)} ${show(e.from)} -> ${show(e.to)}`,
        );
      }
    });
}
