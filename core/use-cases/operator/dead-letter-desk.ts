import { conflict, notFound, unavailable, AppError } from '../../platform/errors.ts';
import type { DeadLetter, DeadLetterTopic } from '../../adapters/kafka/dead-letters.ts';
import { decodeApplications } from '../../adapters/kafka/codec.ts';
import type { AuditLog } from '../../adapters/mysql/audit-log.ts';
import type { Caller } from './audited-events.ts';
import type { ReplayLog } from '../../adapters/mysql/replay-log.ts';
import { ErrorCode } from '../../domain/errors.ts';

/** A dead letter as the operator sees it: what it was, why it failed, and whether it went back. */
export interface DeadLetterView extends DeadLetter {
  eventId: string | null;
  /** The applicant (the person the gate decided for), and the address they typed. */
  person: string | null;
  email: string | null;
  /** Why it can't be replayed (it is not an application at all), or null. */
  unreplayable: string | null;
  replayedAt: string | null;
  replayedBy: string | null;
}

export type ReplayRequest = { ids: string[] } | { all: true };

export interface ReplayResult {
  replayed: string[];
  skipped: { id: string; reason: string }[];
}

function describe(l: DeadLetter): Pick<DeadLetterView, 'eventId' | 'person' | 'email' | 'unreplayable'> {
  try {
    // The persister dead-letters applications one by one; a record of several comes only from elsewhere.
    const all = decodeApplications(Buffer.from(l.value, 'utf8'));
    return {
      eventId: all[0]!.eventId,
      person: all[0]!.person,
      email: all.length === 1 ? all[0]!.email : `${all.length} applications`,
      unreplayable: null,
    };
  } catch (e) {
    return { eventId: null, person: null, email: null, unreplayable: (e as Error).message };
  }
}

/**
 * The dead-letter topic for the operator: list it, and send chosen letters back to the applications
 * topic. Persisting is idempotent per (event, person), so a replay never makes a second winner; the
 * replay log makes sure each letter goes back once.
 */
export class DeadLetterDesk {
  constructor(
    private readonly topic: DeadLetterTopic,
    private readonly replays: ReplayLog,
    private readonly audit: AuditLog,
  ) {}

  async list(): Promise<DeadLetterView[]> {
    const [letters, replays] = await Promise.all([
      this.topic.list().catch((e) => {
        throw unavailable(ErrorCode.QUEUE_UNAVAILABLE, `the dead-letter topic could not be read: ${(e as Error).message}`, 5);
      }),
      this.replays.replays(this.topic.name),
    ]);
    return letters.map((l) => {
      const r = replays.get(l.id);
      return { ...l, ...describe(l), replayedAt: r?.replayedAt ?? null, replayedBy: r?.actor ?? null };
    });
  }

  async replay(by: Caller, which: ReplayRequest): Promise<ReplayResult> {
    const letters = await this.list();
    const chosen = 'all' in which ? letters.filter((l) => l.replayedAt === null) : this.pick(letters, which.ids);
    const skipped = chosen.filter((l) => l.unreplayable !== null).map((l) => ({ id: l.id, reason: l.unreplayable! }));
    const candidates = chosen.filter((l) => l.unreplayable === null);
    const claimed = new Set(await this.replays.claim(this.topic.name, candidates, by.actor));
    const sending = candidates.filter((l) => claimed.has(l.id));
    skipped.push(...candidates.filter((l) => !claimed.has(l.id)).map((l) => ({ id: l.id, reason: 'replayed meanwhile by another call' })));
    if (sending.length === 0) return { replayed: [], skipped };
    try {
      // Keyed by the person like the API's own records (application-records.ts), so a replay lands on that person's partition.
      await this.topic.sendBack(sending, (l) => (l as DeadLetterView).person);
    } catch (e) {
      await this.replays.release(
        this.topic.name,
        sending.map((l) => l.id),
      );
      throw unavailable(ErrorCode.QUEUE_UNAVAILABLE, `the applications topic did not take the replay: ${(e as Error).message}`, 5);
    }
    for (const [eventId, ids] of groupByEvent(sending)) {
      await this.audit.record({
        actor: by.actor,
        action: 'dlq.replay',
        eventId,
        from: { deadLettered: ids },
        to: { replayedTo: this.topic.applications },
        requestId: by.requestId ?? null,
      });
    }
    return { replayed: sending.map((l) => l.id), skipped };
  }

  /** Named letters must all exist, be replayable and not be replayed yet: otherwise nothing is sent. */
  private pick(letters: DeadLetterView[], ids: string[]): DeadLetterView[] {
    const byId = new Map(letters.map((l) => [l.id, l]));
    const unknown = ids.filter((id) => !byId.has(id));
    if (unknown.length) throw notFound('DEAD_LETTER_NOT_FOUND', `no dead letter ${unknown.join(', ')} (see \`terning dlq list\`)`);
    const chosen = [...new Set(ids)].map((id) => byId.get(id)!);
    const done = chosen.filter((l) => l.replayedAt !== null);
    if (done.length) {
      throw conflict(
        'DEAD_LETTER_REPLAYED',
        `already replayed: ${done.map((l) => `${l.id} (${l.replayedAt} by ${l.replayedBy})`).join(', ')}`,
        { ids: done.map((l) => l.id) },
      );
    }
    const bad = chosen.filter((l) => l.unreplayable !== null);
    if (bad.length) {
      throw new AppError(
        422,
        'DEAD_LETTER_UNREPLAYABLE',
        `not an application, so a replay would only fail again: ${bad.map((l) => `${l.id} (${l.unreplayable})`).join(', ')}`,
      );
    }
    return chosen;
  }
}

function groupByEvent(letters: DeadLetterView[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of letters) out.set(l.eventId!, [...(out.get(l.eventId!) ?? []), l.id]);
  return out;
}
