import type { ReservedUnit, Winner } from '../../domain/decision.ts';

/**
 * The values an event's Redis hashes hold, read on the TypeScript side (the Lua side writes and reads
 * them in core/adapters/redis/lua/lib/event-state.lua):
 *   decisions hash   person -> "W|ticket|decidedAtMs"
 *   reserved hash    person -> "ticket|reservedAtMs"
 *   revoked hash     ticket -> "person|reservedAtMs"
 */

/** A winner's value in the decisions hash, whose key is the person. */
export type WinnerValue = Pick<Winner, 'ticket' | 'decidedAt'>;

export function decisionOf(value: string): WinnerValue | null {
  const m = /^W\|(\d+)\|(\d+)$/.exec(value);
  return m ? { ticket: Number(m[1]), decidedAt: Number(m[2]) } : null;
}

/** A reservation's value in the reserved hash, whose key is the person. */
export type ReservationValue = Omit<ReservedUnit, 'person'>;

export function reservationOf(value: string): ReservationValue | null {
  const m = /^(\d+)\|(\d+)$/.exec(value);
  return m ? { ticket: Number(m[1]), reservedAt: Number(m[2]) } : null;
}

/** A unit revoked from a reservation nobody was told of (revoke.lua), not yet given back: the revoked hash's ticket and value. */
export function revokedOf(ticket: string, value: string): ReservedUnit | null {
  const m = /^(.+)\|(\d+)$/.exec(value);
  return m && /^\d+$/.test(ticket) ? { person: m[1]!, ticket: Number(ticket), reservedAt: Number(m[2]) } : null;
}
