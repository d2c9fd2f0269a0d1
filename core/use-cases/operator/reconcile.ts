import type { Config } from '../../platform/config.ts';
import type { Restorer } from '../persistence/restorer.ts';
import { reportEvent, type EventReport, type ReportDeps } from './reconcile-report.ts';

/** What reconcile reads (the report's sources) and, with fix, drives: a forced restore. */
export interface ReconcileDeps extends ReportDeps {
  restorer: Pick<Restorer, 'begin' | 'waitRestored'>;
}

export interface Reconciled {
  report: EventReport;
  /** With fix: whether the restore finished within the wait (it waits for the consumers to drain Kafka). */
  restored?: boolean;
  after?: EventReport;
}

/**
 * `terning reconcile`: compares Redis, MySQL and Kafka for an event. With fix, the event is restored
 * from MySQL (core/use-cases/persistence/restorer.ts, forced): the gate answers 503 until the consumers have persisted Kafka up
 * to its end, then Redis holds exactly MySQL's winners; the report is made again.
 */
export async function reconcile(
  config: Pick<Config, 'reservationTimeoutSeconds'>,
  stores: ReconcileDeps,
  eventId: string,
  opts: { fix?: boolean; waitMs?: number } = {},
): Promise<Reconciled | null> {
  const report = () => reportEvent(stores, eventId, config.reservationTimeoutSeconds * 1_000);
  const first = await report();
  if (!first) return null;
  if (!opts.fix) return { report: first };
  await stores.restorer.begin(eventId, { force: true });
  const restored = await stores.restorer.waitRestored(eventId, opts.waitMs ?? 60_000);
  return { report: first, restored, after: (await report())! };
}
