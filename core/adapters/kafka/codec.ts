import { z } from 'zod';
import { EVENT_ID } from '../../use-cases/rules.ts';

/**
 * A decided application on its way from the API to the consumers, who persist it: the gate gave
 * `person` the unit with this ticket at `decidedAt`; `email` is where their mail goes. Version 2;
 * decoders reject anything else (version 1 carried undecided applications).
 */
export const applicationMessage = z.object({
  v: z.literal(2),
  eventId: z.string().regex(EVENT_ID),
  person: z.string().email().max(254),
  email: z.string().email().max(254),
  ticket: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  // Anything decodable must be storable: MySQL's DATETIME ends in 9999.
  decidedAt: z.number().int().positive().max(Date.UTC(9999, 0)),
  requestId: z.string().max(128).optional(),
}).strict();

export type ApplicationMessage = z.infer<typeof applicationMessage>;

export function encodeApplication(m: ApplicationMessage): Buffer {
  return Buffer.from(JSON.stringify(m));
}

/**
 * Several applications in one Kafka record: a JSON array of version-2 applications, in order of
 * arrival. The API writes one record per group-commit batch (and partition): encoding a Kafka record
 * costs kafkajs more than an application's JSON, so one record per apply was a sixth of the API's work.
 */
export function encodeApplications(ms: ApplicationMessage[]): Buffer {
  return Buffer.from(JSON.stringify(ms));
}

export class PoisonMessage extends Error {}

/** The applications in a record: one (an object, as dead letters and replays are) or many (an array). */
export function decodeApplications(value: Buffer | null): ApplicationMessage[] {
  if (!value) throw new PoisonMessage('empty message');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    throw new PoisonMessage('message is not JSON');
  }
  if (!Array.isArray(json)) return [validate(json)];
  if (json.length === 0) throw new PoisonMessage('message holds no application');
  return json.map((item, i) => validate(item, `[${i}] `));
}

/** Exactly one application: a record that holds several is refused. */
export function decodeApplication(value: Buffer | null): ApplicationMessage {
  const all = decodeApplications(value);
  if (all.length !== 1) throw new PoisonMessage(`message holds ${all.length} applications, not one`);
  return all[0]!;
}

function validate(json: unknown, where = ''): ApplicationMessage {
  const parsed = applicationMessage.safeParse(json);
  if (!parsed.success) throw new PoisonMessage(`${where}message is not an application: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** A dead letter keeps the original bytes and says why and where it failed. */
export interface DeadLetterHeaders { error: string; topic: string; partition: string; offset: string; failedAt: string }
