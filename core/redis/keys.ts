/** Every Redis key terning uses, built in one place. The {eventId} hash tag keeps an event on one slot. */
export function eventKeys(prefix: string, eventId: string) {
  const base = `${prefix}:{${eventId}}`;
  return {
    meta: `${base}:meta`,
    remaining: `${base}:remaining`,
    reserved: `${base}:reserved`,
    decisions: `${base}:decisions`,
    ticketSeq: `${base}:seq`,
    restoreEpoch: `${base}:epoch`,
    restoring: `${base}:restoring`,
    decisionsChannel: `${base}:decided`,
  };
}
export type EventKeys = ReturnType<typeof eventKeys>;

export function codeKeys(prefix: string, email: string) {
  const base = `${prefix}:code:{${email}}`;
  return { code: base, cooldown: `${base}:cooldown` };
}

/** Held by the one process driving an event's restore (core/restore/restorer.ts). */
export const restoreLeaseKey = (prefix: string, eventId: string) => `${prefix}:{${eventId}}:restore-lease`;

/** The run_id of the Redis server last seen by any terning process (core/redis/restarts.ts). */
export const runIdSeenKey = (prefix: string) => `${prefix}:run-id-seen`;
