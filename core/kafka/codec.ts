import { z } from 'zod';

/** An application on its way from the API to the decider. Version 1; decoders reject anything else. */
export const applicationMessage = z.object({
  v: z.literal(1),
  eventId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  email: z.string().email().max(254),
  ticket: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  // Anything decodable must be storable: MySQL's DATETIME ends in 9999.
  appliedAt: z.number().int().positive().max(Date.UTC(9999, 0)),
  requestId: z.string().max(128).optional(),
}).strict();

export type ApplicationMessage = z.infer<typeof applicationMessage>;

export function encodeApplication(m: ApplicationMessage): Buffer {
  return Buffer.from(JSON.stringify(m));
}

export class PoisonMessage extends Error {}

export function decodeApplication(value: Buffer | null): ApplicationMessage {
  if (!value) throw new PoisonMessage('empty message');
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    throw new PoisonMessage('message is not JSON');
  }
  const parsed = applicationMessage.safeParse(json);
  if (!parsed.success) throw new PoisonMessage(`message is not an application: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** A dead letter keeps the original bytes and says why and where it failed. */
export interface DeadLetterHeaders { error: string; topic: string; partition: string; offset: string; failedAt: string }
