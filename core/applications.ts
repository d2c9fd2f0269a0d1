import { AppError, conflict, notFound, unavailable } from './errors.ts';
import type { Scripts, Decision } from './redis/scripts.ts';
import { Gate } from './redis/gate.ts';
import type { GroupCommitProducer } from './kafka/group-commit.ts';
import type { ApplicationMessage } from './kafka/codec.ts';
import type { ApplicationsRepo } from './db/applications-repo.ts';
import type { Events } from './events/events.ts';
import type { Logger } from './log.ts';
import { maskEmail } from './log.ts';
import { traced } from './tracing.ts';

export type Standing =
  | { status: 'PENDING'; ticket: number; decidedAt: null }
  | { status: 'WON' | 'LOST'; ticket: number; decidedAt: string };

const decided = (d: Decision, ticket: number, at: number): Standing =>
  ({ status: d === 'W' ? 'WON' : 'LOST', ticket, decidedAt: new Date(at).toISOString() });

/**
 * The participant's side of an event: apply, then ask where one stands. An application is answered
 * PENDING only once Kafka holds it; the decider gives the final word.
 */
export class Applications {
  private readonly inFlight = new Map<string, Promise<Standing>>();
  private readonly gate: Gate;

  constructor(
    private readonly scripts: Scripts,
    private readonly producer: GroupCommitProducer<ApplicationMessage>,
    private readonly events: Events,
    private readonly records: ApplicationsRepo,
    private readonly log: Logger,
  ) {
    this.gate = new Gate(scripts);
  }

  apply(eventId: string, email: string, requestId?: string): Promise<Standing> {
    // The same person pressing twice in one process shares one hand-off to Kafka.
    const key = `${eventId}\n${email}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const attempt = traced('terning.apply', { eventId }, () => this.admit(eventId, email, requestId)).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, attempt);
    return attempt;
  }

  private async admit(eventId: string, email: string, requestId: string | undefined, loaded = false): Promise<Standing> {
    // Redis down, restarting or loading its data, or MySQL down while the event is reloaded: nothing
    // was registered, and the person is told to come back (503 Retry-After), not that something broke.
    const gate = await this.gate.pass(eventId, email).catch((e) => { throw this.stateUnavailable(e, eventId, email, requestId); });
    switch (gate.kind) {
      case 'decided':
        return decided(gate.decision, gate.ticket, gate.decidedAt);
      case 'not-open':
        throw conflict('EVENT_NOT_OPEN', 'the event is not open');
      case 'sold-out':
        throw conflict('SOLD_OUT', 'all the gifts are gone');
      case 'no-event':
        if (!loaded && (await this.events.load(eventId).catch((e) => { throw this.stateUnavailable(e, eventId, email, requestId); }))) {
          return this.admit(eventId, email, requestId, true);
        }
        throw notFound('EVENT_NOT_FOUND', `there is no event "${eventId}"`);
      case 'new':
      case 'pending':
        // A repeat while undecided is sent again: its first hand-off may still be in flight in another
        // process, and the decider ignores a second copy.
        try {
          await this.producer.send({ v: 1, eventId, email, ticket: gate.ticket, appliedAt: gate.appliedAt, requestId });
        } catch (e) {
          if (gate.kind === 'new') await this.scripts.release(eventId, email, gate.ticket).catch(() => {});
          this.log.error({ err: e, eventId, email: maskEmail(email), requestId }, 'kafka did not take the application');
          throw unavailable('QUEUE_UNAVAILABLE', 'applications can not be taken right now; try again in a moment', 2);
        }
        return { status: 'PENDING', ticket: gate.ticket, decidedAt: null };
    }
  }

  private stateUnavailable(e: unknown, eventId: string, email: string, requestId: string | undefined): unknown {
    if (e instanceof AppError) return e;
    this.log.error({ err: e, eventId, email: maskEmail(email), requestId }, 'the gate could not be reached');
    return unavailable('STATE_UNAVAILABLE', 'applications can not be taken right now; try again in a moment', 1);
  }

  async standing(eventId: string, email: string): Promise<Standing> {
    const s = await this.scripts.standing(eventId, email);
    if (s.kind === 'decided') return decided(s.decision, s.ticket, s.decidedAt);
    if (s.kind === 'pending') return { status: 'PENDING', ticket: s.ticket, decidedAt: null };
    // Redis may have lost its state; MySQL holds every decision.
    const row = await this.records.find(eventId, email);
    if (row) return { status: row.status, ticket: row.ticket, decidedAt: row.decidedAt.toISOString() };
    throw notFound('NOT_APPLIED', 'you have not applied to this event');
  }
}
