import type { ReservedUnit } from '../../domain/decision.ts';
import type { MysqlState } from '../../adapters/mysql/mysql-state.ts';
import type { Restorer, OffsetsSource } from './restorer.ts';
import { totalLag } from '../../adapters/kafka/offsets.ts';
import type { RedisState } from '../../adapters/redis/event-state.ts';
import { finishGiveBack, giveBack, type GiveBackDeps } from './give-back.ts';

/** Events closed longer ago than this are no longer swept: their reservations were, while they were recent. */
const RECENT_MS = 24 * 3_600_000;

/** A reserved unit, and its event. */
export interface Reservation extends ReservedUnit {
  eventId: string;
}

/** What the sweeper reads and drives, as narrow as it calls them (tests/stale-reservations.test.ts gives it fakes). */
export interface StaleReservationsDeps extends GiveBackDeps {
  redisState: Pick<RedisState, 'revoked' | 'reservations'>;
  mysql: Pick<MysqlState, 'liveEventIds'>;
  offsets: Pick<OffsetsSource, 'progress'>;
  restorer: Pick<Restorer, 'isRestoring' | 'kick'>;
}

export interface Sweep {
  released: Reservation[];
  /** Stale reservations left for the next pass: the consumer group had lag. */
  waiting: number;
}

/**
 * The sweeper's use case (docs/decide-at-arrival.md). First, units revoked but not yet given back (a
 * process died between the steps of give-back.ts) are finished: their decision is void already, so
 * this needs no look at Kafka. Then a reservation still unconfirmed `timeoutMs` after the gate made it,
 * while the consumer group has no lag, is provably not waiting in Kafka to be settled (every record
 * there was settled, and settling confirms it): it is given back (revoked, recorded RELEASED, its unit
 * back in the stock for the next person to arrive). The lag is read after the reservations are listed,
 * so a record sent before the listing has been settled. A restore met on the way is helped on: its
 * driver may have died.
 */
export async function releaseStaleReservations(deps: StaleReservationsDeps, timeoutMs: number, now = Date.now()): Promise<Sweep> {
  const before = now - timeoutMs;
  const stale: Reservation[] = [];
  const released: Reservation[] = [];
  for (const eventId of await deps.mysql.liveEventIds(new Date(now - RECENT_MS))) {
    if (await deps.restorer.isRestoring(eventId)) {
      deps.restorer.kick(eventId);
      continue;
    }
    for await (const page of deps.redisState.revoked(eventId)) {
      for (const r of page) {
        await finishGiveBack(deps, eventId, r);
        released.push({ eventId, ...r });
      }
    }
    for await (const page of deps.redisState.reservations(eventId)) {
      for (const r of page) if (r.reservedAt <= before) stale.push({ eventId, ...r });
    }
  }
  if (stale.length === 0) return { released, waiting: 0 };
  if (totalLag(await deps.offsets.progress()) > 0) return { released, waiting: stale.length };
  for (const r of stale) if (await giveBack(deps, r.eventId, r, before)) released.push(r);
  return { released, waiting: 0 };
}
