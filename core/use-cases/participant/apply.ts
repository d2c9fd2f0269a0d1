import { AppError, conflict, eventNotFound, notFound, unavailable } from '../../platform/errors.ts';
import type { Decision, Standing } from '../../domain/decision.ts';
import type { GateResult, HeldUnit, Scripts } from '../../adapters/redis/scripts.ts';
import { TurnBatch } from '../../adapters/redis/turn-batch.ts';
import type { GroupCommitProducer } from '../../adapters/kafka/group-commit.ts';
import type { ApplicationsRepo } from '../../adapters/mysql/applications-repo.ts';
import type { Events } from '../operator/events.ts';
import type { SoldOutBoard, SoldOutResult } from '../../adapters/redis/sold-out-board.ts';
import type { Receipts } from '../proof/receipts.ts';
import type { Logger } from '../../platform/log.ts';
import { maskEmail } from '../../platform/log.ts';
import { traced } from '../../platform/tracing.ts';
import { faultPoint } from '../../platform/fault-point.ts';
import { giveBack } from '../persistence/give-back.ts';
import { ErrorCode } from '../../domain/errors.ts';

/**
 * An apply's answer: the standing, and whether this apply is the one that took the unit (202) or a
 * repeat of a winner (200), the resend of an unconfirmed win included.
 */
export interface Applied {
  standing: Standing;
  accepted: boolean;
}

const repeated = (a: Applied): Applied => (a.accepted ? { standing: a.standing, accepted: false } : a);

const standing = (status: Standing['status'], ticket: number, at: number): Standing => ({
  status,
  ticket,
  decidedAt: new Date(at).toISOString(),
});

// Most of a herd hears one of these: made once, not per request (an Error takes its stack when made).
const SOLD_OUT_MESSAGE = 'all the gifts are gone';
const NOT_OPEN = conflict(ErrorCode.EVENT_NOT_OPEN, 'the event is not open');

const tryAgain = (code: ErrorCode, seconds: number) =>
  unavailable(code, 'applications can not be taken right now; try again in a moment', seconds);

/**
 * The participant's side of an event. The gate in Redis decides at arrival: the first people to arrive
 * while stock is left win, everyone after is told SOLD_OUT at once. A winner is answered only once
 * Kafka holds the decision (acks=all) and Redis confirmed it was still theirs; consumers persist it
 * later, and nobody's answer waits for them.
 */
export class Applications {
  private readonly inFlight = new Map<string, Promise<Applied>>();
  private readonly restoreOffered = new Map<string, number>();
  private readonly gate: TurnBatch<string, GateResult>;
  private readonly confirmations: TurnBatch<HeldUnit, boolean>;
  /** One SOLD_OUT per signed statement: rendered once, answered to the whole herd. */
  private readonly refusals = new WeakMap<SoldOutResult, AppError>();

  constructor(
    private readonly scripts: Scripts,
    private readonly producer: GroupCommitProducer<Decision>,
    private readonly events: Events,
    private readonly records: ApplicationsRepo,
    private readonly log: Logger,
    private readonly soldOut: SoldOutBoard,
    private readonly receipts: Receipts,
  ) {
    this.gate = new TurnBatch((eventId, persons, now) => scripts.applyMany(eventId, persons, now));
    this.confirmations = new TurnBatch((eventId, units) => scripts.confirm(eventId, units));
  }

  /**
   * SOLD_OUT when this process knows it without Redis (core/adapters/redis/sold-out-board.ts), else undefined: then
   * apply(). Most of a herd is answered here, with no promise, no error made, nothing thrown.
   */
  soldOutFromMemory(eventId: string, person: string): AppError | undefined {
    const gate = this.soldOut.answer(eventId, person);
    return gate === undefined ? undefined : this.refusalOf(gate);
  }

  private refusalOf(gate: SoldOutResult): AppError {
    let refusal = this.refusals.get(gate);
    if (refusal === undefined)
      this.refusals.set(gate, (refusal = conflict(ErrorCode.SOLD_OUT, SOLD_OUT_MESSAGE, { statement: gate.statement })));
    return refusal;
  }

  /** A WON standing with the winner's receipt; a PENDING one as it is (nothing is decided for good yet). */
  private async sealed(eventId: string, person: string, s: Standing): Promise<Standing> {
    if (s.status !== 'WON') return s;
    return { ...s, receipt: await this.receipts.forWinner(eventId, s.ticket, Date.parse(s.decidedAt), person) };
  }

  /** `person` is the canonical identity (core/use-cases/participant/identity.ts); `email` the address the person typed. */
  apply(eventId: string, person: string, email: string, requestId?: string): Promise<Applied> {
    // The same person pressing twice in one process shares one hand-off to Kafka; only the first press
    // took the unit (202), the others are repeats of its answer (200).
    const key = `${eventId}\n${person}`;
    const running = this.inFlight.get(key);
    if (running) return running.then(repeated);
    const attempt = traced('terning.apply', { eventId }, () => this.admit(eventId, person, email, requestId)).finally(() =>
      this.inFlight.delete(key),
    );
    this.inFlight.set(key, attempt);
    return attempt;
  }

  private async admit(eventId: string, person: string, email: string, requestId: string | undefined, loaded = false): Promise<Applied> {
    // Redis down, restarting or loading its data, or MySQL down while the event is loaded: nothing was
    // taken, and the person is told to come back (503 Retry-After), not that something broke.
    // Once an event is sold out, this process answers from memory (core/adapters/redis/sold-out-board.ts).
    const gate =
      this.soldOut.answer(eventId, person) ??
      (await this.gate.add(eventId, person).catch((e) => {
        throw this.stateUnavailable(e, eventId, person, requestId);
      }));
    switch (gate.kind) {
      case 'decided':
        return { standing: await this.sealed(eventId, person, standing('WON', gate.ticket, gate.decidedAt)), accepted: false };
      case 'not-open':
        throw NOT_OPEN;
      case 'sold-out': {
        // Every SOLD_OUT carries the event's signed statement. Without one (a unit came back since the
        // gate's answer, the event is being restored, Redis could not be read), nothing is held and the
        // person is told to try again.
        this.soldOut.noticed(eventId);
        const refusal = await this.soldOut.refusal(eventId);
        throw refusal === undefined ? tryAgain(ErrorCode.STATE_UNAVAILABLE, 1) : this.refusalOf(refusal);
      }
      case 'draft':
        // Hidden from participants until scheduled or open, as GET /api/events/<id> hides it.
        throw eventNotFound(eventId);
      case 'restoring':
        this.helpRestore(eventId);
        throw tryAgain(ErrorCode.STATE_RESTORING, 1);
      case 'no-event':
        if (
          !loaded &&
          (await this.events.load(eventId).catch((e) => {
            throw this.stateUnavailable(e, eventId, person, requestId);
          }))
        ) {
          return this.admit(eventId, person, email, requestId, true);
        }
        throw eventNotFound(eventId);
      case 'new':
      case 'resend':
        return this.handOff(eventId, person, email, requestId, gate);
    }
  }

  /**
   * The unit is the person's; Kafka must hold the decision before they are told. A reservation whose
   * send failed is given back at once (core/use-cases/persistence/give-back.ts): revoked first, since
   * the broker may have written it all the same, then recorded in MySQL, then put back in the stock.
   * Where that can't be finished now, the unit stays revoked or reserved for the sweeper.
   */
  private async handOff(
    eventId: string,
    person: string,
    email: string,
    requestId: string | undefined,
    { kind, ticket, decidedAt, gen }: Extract<GateResult, { kind: 'new' | 'resend' }>,
  ): Promise<Applied> {
    await faultPoint('after-gate');
    try {
      await this.producer.send({ eventId, person, email, ticket, decidedAt, requestId, gen });
    } catch (e) {
      await giveBack({ scripts: this.scripts, records: this.records }, eventId, { person, ticket, reservedAt: decidedAt }).catch((err) =>
        this.log.warn({ err, eventId, person: maskEmail(person), ticket }, 'the unit is left for the sweeper to give back'),
      );
      this.log.error({ err: e, eventId, person: maskEmail(person), requestId }, 'kafka did not take the decision');
      throw tryAgain(ErrorCode.QUEUE_UNAVAILABLE, 2);
    }
    const held = await this.confirmations.add(eventId, { person, ticket }).catch((e) => {
      throw this.stateUnavailable(e, eventId, person, requestId);
    });
    // Released as stale meanwhile, or lost with Redis's data: no unit is this person's, and their retry
    // decides again. The record in Kafka is void (settle.lua).
    if (!held) throw tryAgain(ErrorCode.STATE_UNAVAILABLE, 1);
    return { standing: await this.sealed(eventId, person, standing('WON', ticket, decidedAt)), accepted: kind === 'new' };
  }

  /**
   * Any API process that meets a restoring event offers to drive its restore (one driver at a time
   * holds the lease), so a driver that died is replaced by the next apply: at most once a second here.
   */
  private helpRestore(eventId: string): void {
    const now = Date.now();
    if (now - (this.restoreOffered.get(eventId) ?? 0) < 1_000) return;
    this.restoreOffered.set(eventId, now);
    this.events.ensureLoaded(eventId).catch((e) => this.log.warn({ err: e, eventId }, 'could not offer to restore the event'));
  }

  private stateUnavailable(e: unknown, eventId: string, person: string, requestId: string | undefined): unknown {
    if (e instanceof AppError) return e;
    this.log.error({ err: e, eventId, person: maskEmail(person), requestId }, 'the gate could not be reached');
    return tryAgain(ErrorCode.STATE_UNAVAILABLE, 1);
  }

  async standing(eventId: string, person: string): Promise<Standing> {
    return this.sealed(eventId, person, await this.unsealedStanding(eventId, person));
  }

  /** A standing the result stream heard of (a consumer's announcement), with its receipt. */
  seal(eventId: string, person: string, s: Standing): Promise<Standing> {
    return this.sealed(eventId, person, s);
  }

  /**
   * WON, PENDING, or 404 NOT_APPLIED only when Redis holds the event whole: while it is restored (or
   * missing, or made on a server that may have lost its last decisions) a winner not yet in MySQL may
   * be in Kafka's backlog, so anyone but a known winner is answered 503 STATE_RESTORING.
   */
  private async unsealedStanding(eventId: string, person: string, loaded = false): Promise<Standing> {
    const s = await this.scripts.standing(eventId, person);
    if (s.kind === 'won') return standing('WON', s.ticket, s.decidedAt);
    if (s.kind === 'unconfirmed') return standing('PENDING', s.ticket, s.decidedAt);
    // Redis may have lost its state; MySQL holds every persisted winner.
    const row = await this.records.find(eventId, person);
    if (row?.status === 'WON') return standing('WON', row.ticket, row.decidedAt);
    if (s.kind === 'unsure') {
      const presence = await this.events.ensureLoaded(eventId).catch((e) => {
        throw this.stateUnavailable(e, eventId, person, undefined);
      });
      if (presence === 'restoring' || (presence === 'loaded' && loaded)) throw tryAgain(ErrorCode.STATE_RESTORING, 1);
      if (presence === 'loaded') return this.unsealedStanding(eventId, person, true);
    }
    throw notFound(ErrorCode.NOT_APPLIED, 'you hold no gift in this event');
  }
}
