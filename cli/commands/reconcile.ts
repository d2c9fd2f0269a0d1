import { Command } from 'commander';
import { loadConfig } from '../../core/platform/config.ts';
import { createLogger } from '../../core/platform/log.ts';
import { openStores } from '../../core/stores.ts';
import { totalLag } from '../../core/adapters/kafka/offsets.ts';
import { reconcile, type Reconciled } from '../../core/use-cases/operator/reconcile.ts';
import type { EventReport } from '../../core/use-cases/operator/reconcile-report.ts';
import { UserError } from '../errors.ts';
import { eventArgument } from '../options.ts';

const list = (items: string[], max = 10) =>
  items.length > max ? `${items.slice(0, max).join(', ')}, ... (${items.length})` : items.join(', ');

export function describeReport(r: EventReport): string[] {
  const lagging = totalLag(r.lag) > 0;
  const lines = [
    `event ${r.eventId}: ${r.clean ? 'consistent' : 'DIFFERENCES'}${r.restoring ? ' (RESTORING: the gate answers 503 until the consumers have persisted Kafka up to its offsets)' : ''}`,
    `  stock      total ${r.totalStock}, winners in Redis ${r.winnersRedis} (${r.reserved} not confirmed by Kafka yet), in MySQL ${r.winnersMysql}, released ${r.released}`,
    `  remaining  Redis ${r.remaining ?? 'MISSING'}, expected ${r.expectedRemaining}${r.stockDifference ? ` (${r.stockDifference > 0 ? `+${r.stockDifference}: would oversell` : `${r.stockDifference}: units held by nobody`})` : ''}`,
    `  stuck      ${r.stuck.length} reservations past their timeout${r.stuck.length ? `: ${list(r.stuck.map((s) => s.person))}${lagging ? ' (released once the consumers have no lag)' : ''}` : ''}`,
    `  tickets    sequence ${r.ticketSeq}, highest in MySQL ${r.maxTicket}${r.ticketSeq < r.maxTicket ? ' (BEHIND)' : ''}`,
    `  lag        ${r.lag.map((p) => `p${p.partition} ${p.lag}`).join(', ') || 'no partitions'}`,
  ];
  if (r.redisOnly.length) lines.push(`  only in Redis${lagging ? ' (may be in the lag)' : ', never persisted'}: ${list(r.redisOnly)}`);
  if (r.mysqlOnly.length) lines.push(`  only in MySQL: ${list(r.mysqlOnly)}`);
  return lines;
}

function print(result: Reconciled, json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(describeReport(result.report).join('\n'));
  if (result.after) {
    console.log(
      result.restored
        ? 'fixed: the event was restored from MySQL'
        : 'not fixed yet: the restore waits for the consumers to persist Kafka (it goes on without this command)',
    );
    console.log(describeReport(result.after).join('\n'));
  }
}

export function reconcileCommand(): Command {
  return new Command('reconcile')
    .description('compare Redis, MySQL and Kafka for an event and report every difference; --fix restores Redis from MySQL')
    .option('--event <id>', 'the event (default: the default event)', eventArgument)
    .option('--fix', "restore the event's Redis state from MySQL once the consumers have persisted Kafka (the gate answers 503 meanwhile)")
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExit status: 0 consistent (after --fix: fixed), 1 differences found.\n\nExamples:\n  terning reconcile\n  terning reconcile --event spring-sale --fix',
    )
    .action(async (o: { event?: string; fix?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const stores = openStores(config, createLogger('terning-reconcile', 'error'));
      try {
        const eventId = o.event ?? config.defaultEventId;
        const result = await reconcile(config, stores, eventId, { fix: o.fix });
        if (!result) throw new UserError(`there is no event "${eventId}" in MySQL`, 3);
        print(result, o.json);
        if (!(result.after ?? result.report).clean) process.exitCode = 1;
      } finally {
        await stores.close();
      }
    });
}
