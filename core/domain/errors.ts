/**
 * The error codes the API answers that a client acts on by name: the page's messages and its next
 * step (server/page/src/), the server and the use cases that build them, all through these names.
 * docs/api.md lists every code the API answers, these and the rest (tests/api-doc.test.ts).
 */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  CODE_RECENTLY_SENT: 'CODE_RECENTLY_SENT',
  TOO_MANY_CODES: 'TOO_MANY_CODES',
  CODE_SENDS_BUSY: 'CODE_SENDS_BUSY',
  EMAIL_UNAVAILABLE: 'EMAIL_UNAVAILABLE',
  CODE_INVALID: 'CODE_INVALID',
  TOO_MANY_FAILED_CODES: 'TOO_MANY_FAILED_CODES',
  TOKEN_MISSING: 'TOKEN_MISSING',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  EVENT_NOT_FOUND: 'EVENT_NOT_FOUND',
  EVENT_NOT_OPEN: 'EVENT_NOT_OPEN',
  SOLD_OUT: 'SOLD_OUT',
  NOT_APPLIED: 'NOT_APPLIED',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  QUEUE_UNAVAILABLE: 'QUEUE_UNAVAILABLE',
  STATE_UNAVAILABLE: 'STATE_UNAVAILABLE',
  STATE_RESTORING: 'STATE_RESTORING',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An event's state is missing from Redis (Redis lost its data, or failed over to a replica that lacked
 * it): it is restored from MySQL, and whoever met it waits for that (an outage, never a request's fault).
 */
export class StockStateMissing extends Error {
  constructor(readonly eventId: string) {
    super(`the remaining stock of event ${eventId} is missing from Redis: it is restored from MySQL`);
  }
}
