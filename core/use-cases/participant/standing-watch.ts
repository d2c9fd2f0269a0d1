import { unavailable } from '../../platform/errors.ts';
import type { DecisionFeed } from '../../adapters/redis/decision-feed.ts';
import type { Standing } from '../../domain/decision.ts';
import type { Applications } from './apply.ts';

export interface StandingWatch {
  /** The standing when the watch began; final unless PENDING. */
  readonly first: Standing;
  /** The final standing (WON) once it is known; null when the watch is closed first (the server stops). */
  readonly final: Promise<Standing | null>;
  stop(): void;
}

/**
 * A person's standing as it changes (the result stream). The gate decided at arrival, so it is WON
 * already, unless the winner's hand-off to Kafka is still unconfirmed: then PENDING, and WON the moment
 * a consumer persists it. The feed is watched before the standing is read, so an announcement made
 * meanwhile is not missed; after a gap in the feed (a reconnection) the standing is read again.
 */
export async function watchStanding(
  deps: { applications: Pick<Applications, 'standing'>; feed: Pick<DecisionFeed, 'watch'> },
  eventId: string,
  person: string,
): Promise<StandingWatch> {
  let settledWith: Standing | null | undefined;
  let resolveFinal!: (s: Standing | null) => void;
  const final = new Promise<Standing | null>((resolve) => (resolveFinal = resolve));
  const settle = (s: Standing | null) => {
    if (settledWith !== undefined) return;
    settledWith = s;
    resolveFinal(s);
  };
  let stop: () => void;
  try {
    stop = await deps.feed.watch(eventId, person, (signal) => {
      if (signal.kind === 'decided')
        settle({ status: 'WON', ticket: signal.winner.ticket, decidedAt: new Date(signal.winner.decidedAt).toISOString() });
      else if (signal.kind === 'closing') settle(null);
      else
        deps.applications.standing(eventId, person).then(
          (s) => s.status !== 'PENDING' && settle(s),
          () => {},
        );
    });
  } catch {
    throw unavailable('STREAM_UNAVAILABLE', 'results can not be streamed right now; ask GET .../status instead', 5);
  }
  let now: Standing;
  try {
    now = await deps.applications.standing(eventId, person);
  } catch (e) {
    stop();
    throw e;
  }
  const first = settledWith ?? now;
  if (first.status !== 'PENDING') settle(first);
  return { first, final, stop };
}
