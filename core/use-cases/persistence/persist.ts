import type { Scripts } from '../../adapters/redis/scripts.ts';
import type { Announce, Decision, Winner } from '../../domain/decision.ts';
import { StockStateMissing } from '../../domain/errors.ts';
import type { ApplicationsRepo } from '../../adapters/mysql/applications-repo.ts';
import { faultPoint } from '../../platform/fault-point.ts';
import { below } from '../../adapters/kafka/offsets.ts';
import type { RestoreMarker } from '../../domain/event.ts';

/** A decision as a consumer read it: where it sits in the applications topic decides it during a restore. */
export interface ReadDecision {
  application: Decision;
  partition: number;
  offset: string;
}

export interface Persisted {
  persisted: Decision[];
  void: Decision[];
}

/**
 * While an event is restored: a decision below the marker's offsets made by the lost state is kept;
 * one above them is void, and so is one an older state made (marker.gen: it reached Kafka after an
 * earlier restore read its offsets, so its confirm met the rebuilt state and it was told 503; a later
 * restore's offsets lie above it, but it is no more a win). Unless it is the replay of a winner
 * dead-lettered after its 202 (held in MySQL with that ticket), which no restore can void.
 */
async function judgedByMarker(
  records: Pick<ApplicationsRepo, 'deadLettered'>,
  eventId: string,
  list: ReadDecision[],
  marker: RestoreMarker,
): Promise<boolean[]> {
  const older = (d: Decision) => marker.gen !== undefined && d.gen !== undefined && d.gen < marker.gen;
  const keep = list.map((i) => below(marker.ends, i.partition, i.offset) && !older(i.application));
  const above = list.filter((_, j) => !keep[j]).map((i) => i.application.person);
  if (above.length === 0) return keep;
  const held = await records.deadLettered(eventId, above);
  return list.map((i, j) => keep[j]! || held.get(i.application.person) === i.application.ticket);
}

/**
 * The consumers' use case: decisions made at arrival, read from Kafka, are persisted. Redis says which
 * are still held (settle.lua): those are written to MySQL, with the winners' emails, in one
 * transaction; the others are void (released: nobody was told they won). Running it again on the same
 * decisions writes nothing new.
 *
 * While an event is rebuilt after Redis lost its data, Redis can't tell: a decision that reached Kafka
 * before the loss was noticed (below the marker's offsets) was made by the lost Redis and is persisted;
 * one after it was confirmed by nobody (its API's confirm met the empty Redis) and is void.
 *
 * Its ports are narrow (settle.lua's answer; the WON rows, and the winners MySQL holds from their dead
 * letters), so a fast test gives it fakes (tests/persist.test.ts).
 */
export async function persistBatch(
  scripts: Pick<Scripts, 'settle'>,
  records: Pick<ApplicationsRepo, 'storeWinners' | 'deadLettered'>,
  items: ReadDecision[],
  announce?: Announce,
): Promise<Persisted> {
  const byEvent = new Map<string, ReadDecision[]>();
  for (const item of items) {
    const list = byEvent.get(item.application.eventId);
    if (list) list.push(item);
    else byEvent.set(item.application.eventId, [item]);
  }
  const out: Persisted = { persisted: [], void: [] };
  for (const [eventId, list] of byEvent) {
    const s = await scripts.settle(
      eventId,
      list.map((i) => i.application),
    );
    let keep: boolean[];
    if (s.kind === 'settled') keep = s.persist;
    else if (s.kind === 'missing') throw new StockStateMissing(eventId);
    else keep = await judgedByMarker(records, eventId, list, s.marker);
    list.forEach((i, j) => (keep[j] ? out.persisted : out.void).push(i.application));
  }
  await faultPoint('after-settle');
  await records.storeWinners(out.persisted);
  // Only once MySQL holds them: a stream told "won" finds the same answer wherever it asks.
  if (announce) {
    for (const eventId of byEvent.keys()) {
      const won = out.persisted
        .filter((a) => a.eventId === eventId)
        .map((a): Winner => ({ person: a.person, ticket: a.ticket, decidedAt: a.decidedAt }));
      if (won.length) await announce(eventId, won);
    }
  }
  return out;
}
