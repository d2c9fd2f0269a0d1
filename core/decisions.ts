import type { Scripts, DecidedApplication } from './redis/scripts.ts';
import type { ApplicationsRepo, DecisionToStore } from './db/applications-repo.ts';
import type { ApplicationMessage } from './kafka/codec.ts';
import { faultPoint } from './fault-point.ts';

/** Tells the servers' result streams about one event's decided batch (core/decision-feed.ts). */
export type Announce = (eventId: string, decisions: DecidedApplication[]) => Promise<void>;

/**
 * The decider's use case: a batch of applications in arrival order gets its final word from Redis
 * (one script call per event) and is stored in MySQL (one transaction). Running it again on the same
 * applications gives the same decisions and takes no more stock.
 */
export async function decideBatch(
  scripts: Scripts,
  records: ApplicationsRepo,
  applications: ApplicationMessage[],
  now = Date.now(),
  announce?: Announce,
): Promise<DecisionToStore[]> {
  const byEvent = new Map<string, ApplicationMessage[]>();
  for (const a of applications) {
    const list = byEvent.get(a.eventId) ?? [];
    list.push(a);
    byEvent.set(a.eventId, list);
  }
  const out: DecisionToStore[] = [];
  const decided: { eventId: string; epoch: string; decisions: DecidedApplication[] }[] = [];
  for (const [eventId, list] of byEvent) {
    // Arrival order is the ticket, not the Kafka order: two API processes' batches can reach Kafka in
    // either order, and a herd makes chunks large enough to put them back in line.
    list.sort((a, b) => a.ticket - b.ticket);
    const epoch = await scripts.restoreEpoch(eventId);
    const decisions: DecidedApplication[] = await scripts.decide(eventId, list, now);
    decisions.forEach((d, i) => out.push({ ...d, eventId, appliedAt: list[i]!.appliedAt }));
    decided.push({ eventId, epoch, decisions });
  }
  await faultPoint('after-decide');
  await records.storeDecisions(out);
  // Redis may have lost its data and been restored from MySQL while the write was in flight: the
  // restore did not see these decisions, so they are put back (a no-op unless the epoch changed).
  for (const d of decided) await scripts.confirmDecisions(d.eventId, d.epoch, d.decisions);
  // Only once MySQL holds them: a stream told "decided" finds the same answer wherever it asks.
  if (announce) for (const eventId of byEvent.keys()) await announce(eventId, out.filter((d) => d.eventId === eventId));
  return out;
}
