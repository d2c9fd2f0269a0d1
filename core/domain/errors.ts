/**
 * An event's state is missing from Redis (Redis lost its data, or failed over to a replica that lacked
 * it): it is restored from MySQL, and whoever met it waits for that (an outage, never a request's fault).
 */
export class StockStateMissing extends Error {
  constructor(readonly eventId: string) {
    super(`the remaining stock of event ${eventId} is missing from Redis: it is restored from MySQL`);
  }
}
