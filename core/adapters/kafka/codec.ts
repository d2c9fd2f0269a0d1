import { z } from 'zod';
import type { Decision } from '../../domain/decision.ts';
import { EVENT_ID, emailAddress, person } from '../../domain/rules.ts';

/**
 * The wire format of a decision (core/domain/decision.ts) on its way from the API to the consumers,
 * who persist it: the decision's fields and its version, 2. Decoders reject any other version
 * (version 1 carried undecided applications). The version is this codec's business: it is written on
 * encoding and dropped on decoding, and nothing outside this file speaks this type.
 */
const applicationMessage = z
  .object({
    v: z.literal(2),
    eventId: z.string().regex(EVENT_ID),
    // The same rules as where the address entered (sign-in): a record the API writes always decodes.
    person,
    email: emailAddress,
    ticket: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    // Anything decodable must be storable: MySQL's DATETIME ends in 9999.
    decidedAt: z.number().int().positive().max(Date.UTC(9999, 0)),
    requestId: z.string().max(128).optional(),
    gen: z
      .number()
      .int()
      .nonnegative()
      .max(2 ** 32 - 1)
      .optional(),
  })
  .strict();

type ApplicationMessage = z.infer<typeof applicationMessage>;

const onTheWire = (d: Decision): ApplicationMessage => ({ v: 2, ...d });

export function encodeApplication(d: Decision): Buffer {
  return Buffer.from(JSON.stringify(onTheWire(d)));
}

/**
 * Several applications in one Kafka record: a JSON array of version-2 applications, in order of
 * arrival. The API writes one record per group-commit batch (and partition): encoding a Kafka record
 * costs kafkajs more than an application's JSON, so one record per apply was a sixth of the API's work.
 */
export function encodeApplications(ds: Decision[]): Buffer {
  return Buffer.from(JSON.stringify(ds.map(onTheWire)));
}

export class PoisonMessage extends Error {}

/** One item of a record that is not an application: dead-lettered alone, as `value` (its own JSON). */
export interface BadItem {
  value: Buffer;
  error: string;
}

/**
 * The applications in a record, item by item: one (an object, as dead letters and replays are) or many
 * (an array). An item that is not an application is set aside with its error and takes nothing else
 * with it; only a record that is not JSON, or holds nothing, is poison as a whole.
 */
export function decodeRecord(value: Buffer | null): { applications: Decision[]; bad: BadItem[] } {
  if (!value) throw new PoisonMessage('empty message');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    throw new PoisonMessage('message is not JSON');
  }
  if (!Array.isArray(json)) {
    const one = check(json);
    return typeof one === 'string' ? { applications: [], bad: [{ value, error: one }] } : { applications: [one], bad: [] };
  }
  if (json.length === 0) throw new PoisonMessage('message holds no application');
  const out: { applications: Decision[]; bad: BadItem[] } = { applications: [], bad: [] };
  json.forEach((item, i) => {
    const one = check(item, `[${i}] `);
    if (typeof one === 'string') out.bad.push({ value: Buffer.from(JSON.stringify(item) ?? 'null'), error: one });
    else out.applications.push(one);
  });
  return out;
}

/** The applications in a record, all of them: any item that is not one makes the record poison. */
export function decodeApplications(value: Buffer | null): Decision[] {
  const { applications, bad } = decodeRecord(value);
  if (bad.length) throw new PoisonMessage(bad[0]!.error);
  return applications;
}

/** Exactly one application: a record that holds several is refused. */
export function decodeApplication(value: Buffer | null): Decision {
  const all = decodeApplications(value);
  if (all.length !== 1) throw new PoisonMessage(`message holds ${all.length} applications, not one`);
  return all[0]!;
}

function check(json: unknown, where = ''): Decision | string {
  const parsed = applicationMessage.safeParse(json);
  if (!parsed.success)
    return `${where}message is not an application: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`;
  const { v: _, ...decision } = parsed.data;
  return decision;
}

/** A dead letter keeps the original bytes and says why and where it failed. */
export interface DeadLetterHeaders {
  error: string;
  topic: string;
  partition: string;
  offset: string;
  failedAt: string;
}
