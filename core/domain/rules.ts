import { z } from 'zod';

/**
 * The shapes of what participants and operators hand terning, written once: every edge (the API's
 * routes, the CLI's arguments, the Kafka codec, the settings) checks against these.
 */

/** An event id: lower-case letters, digits and dashes, as it appears in URLs, Redis keys and topics. */
export const EVENT_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const eventId = z.string().regex(EVENT_ID, 'an event id is lower-case letters, digits and dashes');

/** Emails are trimmed and lower-cased everywhere: one person, one address, one application. */
export const emailAddress = z.string().trim().max(254).toLowerCase().pipe(z.string().email());

/**
 * A person: the identity an address is folded to (core/use-cases/participant/identity.ts), never itself
 * checked as an address. Folding may leave what no mail server would take (`john.+news@company.com` is
 * the person `john.@company.com`), so this is only what every fold of a valid address is: something,
 * an `@`, a domain, no space, at most 254 characters. The Kafka codec checks against it: whatever the
 * API accepts, the consumers persist.
 */
export const PERSON = /^[^@\s]+@[^@\s]+$/;
export const person = z.string().max(254).regex(PERSON, 'a person is an address folded to its mailbox');

/** When an event opens or closes: an ISO 8601 time with its offset, within what MySQL's DATETIME holds. */
export const eventTime = z
  .string()
  .datetime({ offset: true })
  .refine((v) => {
    const year = new Date(v).getUTCFullYear();
    return year >= 2000 && year <= 9998;
  }, 'a time between the years 2000 and 9998');

/** A verification code as mailed: six digits. */
export const verificationCode = z.string().regex(/^\d{6}$/, 'the code is 6 digits');

/** The id send-verification-code answers for one sign-in: 128 random bits, base64url. */
export const challengeId = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'the challengeId is the one send-verification-code answered');

/** An event's stock: a whole number of gifts, 0 up to ten million. */
export const MAX_STOCK = 10_000_000;
export const stockCount = z.number().int('count must be a whole number').min(0).max(MAX_STOCK);

/** A dead letter is named by where it sits in the dead-letter topic: PARTITION:OFFSET. */
export const DEAD_LETTER_ID = /^\d{1,5}:\d{1,20}$/;
export const deadLetterId = z.string().regex(DEAD_LETTER_ID, 'a dead letter id is PARTITION:OFFSET, as `terning dlq list` shows it');
