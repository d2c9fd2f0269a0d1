import { isEventNotFound } from '../../platform/errors.ts';
import { isOutage } from '../../adapters/outage.ts';
import { StockStateMissing } from '../../domain/errors.ts';
import type { Logger } from '../../platform/log.ts';
import type { ReadDecision } from './persist.ts';

/** A decision that failed on its own; `winner` unless it names an event MySQL does not know. */
export type FailedAlone<T> = T & { error: string; winner: boolean };

export const backoffMs = (attempt: number, base = 1_000, cap = 30_000) => Math.min(cap, base * 2 ** attempt);

export interface RecoveryPolicy {
  /** Attempts before a chunk that keeps failing (not an outage) is split to find the bad application. */
  attempts: number;
  retryBaseMs: number;
}

export interface RecoveryDeps<T> {
  /** Persists the chunk whole, or throws. */
  persist(items: T[]): Promise<void>;
  /** Marks an event restoring when Redis lost it, so its decisions can be judged by their offsets. */
  beginRestore?(eventId: string): Promise<unknown>;
  /** Waits `ms` (heartbeating); false when the consumer is stopping and the chunk should be left. */
  wait(ms: number): Promise<boolean>;
  log: Logger;
}

/**
 * What a consumer does when persisting fails (docs/decide-at-arrival.md). An outage (Redis or MySQL
 * unreachable, full, read-only) is waited out with back-off for as long as it lasts: nothing is blamed
 * on the applications. An event whose Redis state is missing is marked restoring and tried again at
 * once. Anything else is tried `attempts` times, then the chunk is split, so one bad application
 * doesn't fail its neighbours; an event MySQL does not know fails at once. Returns the applications
 * that failed on their own, each with its error (for the dead-letter topic), or null when stopping.
 */
export async function persistOrIsolate<T extends ReadDecision>(
  items: T[],
  deps: RecoveryDeps<T>,
  policy: RecoveryPolicy,
): Promise<FailedAlone<T>[] | null> {
  if (items.length === 0) return [];
  let last: unknown;
  for (let attempt = 0; ; attempt++) {
    try {
      await deps.persist(items);
      return [];
    } catch (caught) {
      const e = await heal(caught, attempt, deps);
      if (e === null) continue;
      last = e;
      const outage = isOutage(e);
      const permanent = unknownEvent(e);
      deps.log.warn({ err: e, attempt, size: items.length, outage }, 'persisting a batch failed; retrying');
      if (permanent || (!outage && attempt + 1 >= policy.attempts)) break;
      if (!(await deps.wait(backoffMs(attempt, policy.retryBaseMs)))) return null;
    }
  }
  if (items.length === 1)
    return [{ ...items[0]!, error: last instanceof Error ? last.message : String(last), winner: !unknownEvent(last) }];
  const failed: FailedAlone<T>[] = [];
  for (const item of [...items].sort((a, b) => a.application.ticket - b.application.ticket)) {
    const r = await persistOrIsolate([item], deps, policy);
    if (r === null) return null;
    failed.push(...r);
  }
  return failed;
}

const unknownEvent = isEventNotFound;

/**
 * Redis lost an event's state: mark it restoring (with the topic's offsets of the moment) and try again
 * at once, now judged by the marker. Returns null when that was done, else the error to judge.
 */
async function heal<T>(e: unknown, attempt: number, deps: RecoveryDeps<T>): Promise<unknown> {
  if (!(e instanceof StockStateMissing) || !deps.beginRestore) return e;
  try {
    await deps.beginRestore(e.eventId);
    deps.log.warn({ eventId: e.eventId, attempt }, "an event's Redis state was missing; it is being restored from MySQL");
    return attempt < 3 ? null : e;
  } catch (err) {
    return err;
  }
}
