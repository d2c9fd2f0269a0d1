import type { Scripts } from '../../adapters/redis/scripts.ts';
import type { ApplicationsRepo } from '../../adapters/mysql/applications-repo.ts';
import type { ReservedUnit } from '../../domain/decision.ts';
import { faultPoint } from '../../platform/fault-point.ts';

export interface GiveBackDeps {
  scripts: Pick<Scripts, 'revoke' | 'release'>;
  records: Pick<ApplicationsRepo, 'markReleased'>;
}

/**
 * Giving a unit back (docs/decide-at-arrival.md), in an order that no crash or data loss can turn into
 * a unit won twice. Kafka may hold the decision even when its send was seen to fail (the broker wrote
 * the batch after the API's deadline), and a restore persists whatever Kafka holds below its marker:
 * 1. revoke.lua takes the decision back while nobody was told it: no 202 can follow, and settle.lua
 *    voids Kafka's copy;
 * 2. MySQL records the release (a RELEASED row): a restore, which can't ask the lost Redis, voids the
 *    copy by it;
 * 3. release.lua puts the unit back in the stock, for the next person to arrive.
 * A process that dies after 1 leaves the unit revoked; the sweeper finishes it (finishGiveBack).
 * Returns false when the reservation was not held as given (confirmed meanwhile, or gone).
 */
export async function giveBack(deps: GiveBackDeps, eventId: string, unit: ReservedUnit, reservedBy?: number): Promise<boolean> {
  if (!(await deps.scripts.revoke(eventId, unit.person, unit.ticket, reservedBy))) return false;
  await faultPoint('after-revoke');
  await finishGiveBack(deps, eventId, unit);
  return true;
}

/** Steps 2 and 3 for a unit revoked already. */
export async function finishGiveBack(deps: GiveBackDeps, eventId: string, unit: ReservedUnit): Promise<void> {
  await deps.records.markReleased(eventId, unit.person, unit.ticket, unit.reservedAt);
  await deps.scripts.release(eventId, unit.ticket);
}
