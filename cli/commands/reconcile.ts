import { Command } from 'commander';
import { loadConfig } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { openStores } from '../../core/stores.ts';
import { createKafka } from '../../core/kafka/client.ts';
import { reconcile, type Reconciled } from '../../core/reconcile/reconcile.ts';
import type { EventReport } from '../../core/reconcile/report.ts';
import { UserError } from '../errors.ts';

const list = (items: string[], max = 10) => (items.length > max ? `${items.slice(0, max).join(', ')}, ... (${items.length})` : items.join(', '));

export function describeReport(r: EventReport): string[] {
  const lines = [
    `event ${r.eventId}: ${r.clean ? 'consistent' : 'DIFFERENCES'}`,
    `  stock      total ${r.totalStock}, winners in MySQL ${r.winnersMysql} (+${r.winnersInFlight} decided, row on the way), losers ${r.losersMysql}`,
    `  remaining  Redis ${r.remaining ?? 'MISSING'}, expected ${r.expectedRemaining}${r.stockDifference ? ` (${r.stockDifference > 0 ? `+${r.stockDifference}: would oversell` : `${r.stockDifference}: units left unsold`})` : ''}`,
    `  gate       ${r.pending} waiting in Kafka, ${r.stuck.length} stuck${r.stuck.length ? `: ${list(r.stuck.map((s) => s.email))}` : ''}`,
    `  tickets    sequence ${r.ticketSeq}, highest known ${r.maxTicket}${r.ticketSeq < r.maxTicket ? ' (BEHIND)' : ''}`,
    `  lag        ${r.lag.map((p) => `p${p.partition} ${p.lag}`).join(', ') || 'no partitions'}`,
  ];
  const orphans = r.redisOnly.filter((d) => !d.waiting);
  if (orphans.length) lines.push(`  only in Redis, no message left: ${list(orphans.map((d) => `${d.email} ${d.value[0]}`))}`);
  if (r.mysqlOnly.length) lines.push(`  only in MySQL: ${list(r.mysqlOnly)}`);
  if (r.differing.length) lines.push(`  differing: ${list(r.differing.map((d) => `${d.email} Redis ${d.redis[0]} MySQL ${d.mysql[0]}`))}`);
  return lines;
}

function print(result: Reconciled, json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(describeReport(result.report).join('\n'));
  if (result.fix && result.after) {
    const f = result.fix;
    console.log(`fixed: ${f.changed} decisions put back from MySQL, ${f.forgotten} dropped, ${f.released} stuck applicants released; remaining ${f.remaining} (${f.winners} winners)`);
    console.log(describeReport(result.after).join('\n'));
  }
}

export function reconcileCommand(): Command {
  return new Command('reconcile')
    .description('compare Redis, MySQL and Kafka for an event and report every difference; --fix rebuilds Redis from MySQL')
    .option('--event <id>', 'the event (default: the default event)')
    .option('--fix', 'rebuild the Redis state (stock, decisions, gate, tickets) from MySQL')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExit status: 0 consistent (after --fix: fixed), 1 differences found.\n\nExamples:\n  terning reconcile\n  terning reconcile --event spring-sale --fix')
    .action(async (o: { event?: string; fix?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const log = createLogger('terning-reconcile', 'error');
      const stores = openStores(config);
      try {
        const eventId = o.event ?? config.defaultEventId;
        const result = await reconcile(config, stores, createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-reconcile`, log }), eventId, { fix: o.fix });
        if (!result) throw new UserError(`there is no event "${eventId}" in MySQL`, 3);
        print(result, o.json);
        if (!(result.after ?? result.report).clean) process.exitCode = 1;
      } finally {
        await stores.close();
      }
    });
}
