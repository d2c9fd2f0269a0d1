/** Every Redis key terning uses, built in one place. The {eventId} hash tag keeps an event on one slot. */
export function eventKeys(prefix: string, eventId: string) {
  const base = `${prefix}:{${eventId}}`;
  return {
    meta: `${base}:meta`,
    remaining: `${base}:remaining`,
    reserved: `${base}:reserved`,
    decisions: `${base}:decisions`,
    revoked: `${base}:revoked`,
    ticketSeq: `${base}:seq`,
    restoring: `${base}:restoring`,
    decisionsChannel: `${base}:decided`,
  };
}
export type EventKeys = ReturnType<typeof eventKeys>;

/** A person's sign-in: its challenges, the latest of them, and its sends from one network; all on the person's slot. */
export function signInKeys(prefix: string, person: string) {
  const base = `${prefix}:signin:{${person}}`;
  return {
    challenge: (id: string) => `${base}:challenge:${id}`,
    latest: `${base}:latest`,
    sendsFrom: (network: string) => `${base}:sends:${network}`,
  };
}

/** A network's code sends, to anyone. */
export const networkSendsKey = (prefix: string, network: string) => `${prefix}:signin:network:${network}`;

/** Every code send, from anywhere. */
export const allSendsKey = (prefix: string) => `${prefix}:signin:all-sends`;

/**
 * Where the scripts that move an event's gate say so: "sold <eventId>" when the last unit is taken,
 * "moved <eventId>" when stock comes back or the event's settings or state change
 * (core/adapters/redis/sold-out-board.ts). One channel for every event: these are rare.
 */
export const gateChannel = (prefix: string) => `${prefix}:gate`;

/** Held by the one process driving an event's restore (core/use-cases/persistence/restorer.ts). */
export const restoreLeaseKey = (prefix: string, eventId: string) => `${prefix}:{${eventId}}:restore-lease`;

/** The identity of the Redis server last seen by any terning process (core/adapters/redis/restarts.ts). */
export const serverSeenKey = (prefix: string) => `${prefix}:server-seen`;
