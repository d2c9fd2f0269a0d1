import type { Scripts } from '../redis/scripts.ts';
import type { Restorer, RestoreResult } from './restore.ts';
import type { EventReport } from './report.ts';

export interface FixResult extends RestoreResult { forgotten: number; released: number }

/**
 * Repairs an event's Redis state from MySQL after a report: decisions only Redis holds and no message
 * will ever write (none left in Kafka) are dropped, gate entries that will never be decided are
 * released, then every MySQL decision is put back and the stock recounted (Restorer, mode "always").
 * Each step is an atomic script that re-checks what it changes, so deciding may go on meanwhile.
 */
export async function fixEvent(scripts: Scripts, restorer: Restorer, report: EventReport): Promise<FixResult> {
  const orphans = report.redisOnly.filter((d) => !d.waiting).map((d) => ({ email: d.email, value: d.value }));
  const forgotten = await scripts.forgetDecisions(report.eventId, orphans);
  let released = 0;
  for (const s of report.stuck) if (await scripts.release(report.eventId, s.email, s.ticket)) released++;
  const restored = await restorer.restore(report.eventId, { mode: 'always', maxTicket: report.maxTicket });
  return { ...restored, forgotten, released };
}
