import type { Redis } from 'ioredis';
import { parseMarker } from './restore-scripts.ts';
import type { Decision } from '../../domain/decision.ts';
import type { RestoreMarker } from '../../domain/event.ts';
import { defineScripts, results } from './lua-scripts.ts';
import { StockStateMissing } from '../../domain/errors.ts';
import { allSendsKey, eventKeys, gateChannel, networkSendsKey, signInKeys } from './keys.ts';

/** Every Lua script, loaded once under a versioned name (its key count from its header); one typed method each. */
const SCRIPTS = ['apply', 'confirm', 'revoke', 'release', 'settle', 'set-stock', 'status', 'open-challenge', 'check-challenge'] as const;
type ScriptName = (typeof SCRIPTS)[number];

/** Each script's results, by the names its header gives them. apply.lua's body returns the bare numbers: it is the hot path. */
const GATE = results('apply');
const CONFIRM = results('confirm');
const REVOKE = results('revoke');
const RELEASE = results('release');
const SETTLE = results('settle');
const SET_STOCK = results('set-stock');
const STATUS = results('status');
const OPENING = results('open-challenge');
const CHECK = results('check-challenge');

/** What the gate answered one applicant (apply.lua). */
export type GateResult =
  | { kind: 'new'; ticket: number; decidedAt: number; gen: number }
  | { kind: 'resend'; ticket: number; decidedAt: number; gen: number }
  | { kind: 'decided'; ticket: number; decidedAt: number }
  | { kind: 'no-event' }
  | { kind: 'not-open' }
  | { kind: 'sold-out' }
  | { kind: 'restoring' }
  | { kind: 'draft' };

/** unknown: no unit held; unsure: Redis can't say (the event is restoring, missing, or from another server). */
export type StandingResult =
  | { kind: 'won'; ticket: number; decidedAt: number }
  | { kind: 'unconfirmed'; ticket: number; decidedAt: number }
  | { kind: 'unknown' }
  | { kind: 'unsure' };

/** What confirm.lua and settle.lua read of a decision: whose unit it is, and which (its ticket). */
export type HeldUnit = Pick<Decision, 'person' | 'ticket'>;

/** settle.lua's answer for a chunk of one event: per decision, persist or void; or the event is being restored. */
/** settled: which to persist; restoring: judge by the marker's offsets; missing: the state is gone and no restore has begun. */
export type Settlement = { kind: 'settled'; persist: boolean[] } | { kind: 'restoring'; marker: RestoreMarker } | { kind: 'missing' };

/** opened: mail the code; otherwise which send limit refused it, and for how many seconds. */
export type ChallengeOpening = { kind: 'opened' } | { kind: 'cooldown' | 'person-spent' | 'network-spent' | 'all-spent'; seconds: number };

/** How a try reaches a challenge: by its id, or as the person's latest (a client that sends no id). */
export type ChallengePath = { by: 'id'; id: string } | { by: 'latest'; id: string };

/** missing: no such live challenge, or no tries left on the path. */
export type ChallengeCheck = { kind: 'ok' } | { kind: 'wrong'; attemptsLeft: number } | { kind: 'missing' };

export interface SendLimits {
  cooldownSeconds: number;
  perPersonPerNetworkPerHour: number;
  perNetworkPerHour: number;
  allPerMinute: number;
}

const NO_EVENT: GateResult = { kind: 'no-event' };
const NOT_OPEN: GateResult = { kind: 'not-open' };
const SOLD_OUT: GateResult = { kind: 'sold-out' };
const RESTORING: GateResult = { kind: 'restoring' };
const DRAFT: GateResult = { kind: 'draft' };

function gateResult(flat: number[], at: number, gen: number): GateResult {
  const code = flat[at]!;
  switch (code) {
    case GATE.NEW:
      return { kind: 'new', ticket: flat[at + 1]!, decidedAt: flat[at + 2]!, gen };
    case GATE.RESEND:
      return { kind: 'resend', ticket: flat[at + 1]!, decidedAt: flat[at + 2]!, gen };
    case GATE.DECIDED:
      return { kind: 'decided', ticket: flat[at + 1]!, decidedAt: flat[at + 2]! };
    case GATE.NO_EVENT:
      return NO_EVENT;
    case GATE.NOT_OPEN:
      return NOT_OPEN;
    case GATE.SOLD_OUT:
      return SOLD_OUT;
    case GATE.RESTORING:
      return RESTORING;
    case GATE.DRAFT:
      return DRAFT;
    default:
      throw new Error(`apply.lua returned unknown code ${code}`);
  }
}

/**
 * Fewer replicas than asked acknowledged a confirm in time: the primary may be cut off from them (a
 * network partition) and its writes lost to a failover, so the win is not announced. The confirm itself
 * stands on the primary: a retry finds it (200) if that primary stays.
 */
export class ReplicasBehind extends Error {
  constructor(
    readonly wanted: number,
    readonly acknowledged: number,
  ) {
    super(`NOREPLICAS: ${acknowledged} of ${wanted} Redis replicas acknowledged the confirm within ${CONFIRM_WAIT_MS} ms`);
  }
}

/** How long a confirm waits for its replicas: a replica in reach acknowledges within milliseconds. */
export const CONFIRM_WAIT_MS = 1_000;

export class Scripts {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly opts: { confirmReplicas?: number } = {},
  ) {
    this.call = defineScripts(redis, SCRIPTS);
  }

  private readonly call: (name: ScriptName, ...args: (string | number)[]) => Promise<unknown>;

  keys(eventId: string) {
    return eventKeys(this.prefix, eventId);
  }

  async apply(eventId: string, person: string, now: number): Promise<GateResult> {
    return (await this.applyMany(eventId, [person], now))[0]!;
  }

  /** The gate and the decision for several persons of one event in one call, in their order of arrival. */
  async applyMany(eventId: string, persons: string[], now: number): Promise<GateResult[]> {
    const k = this.keys(eventId);
    const flat = (await this.call(
      'apply',
      k.meta,
      k.remaining,
      k.reserved,
      k.decisions,
      k.ticketSeq,
      k.restoring,
      now,
      gateChannel(this.prefix),
      eventId,
      ...persons,
    )) as number[];
    if (flat.length !== persons.length * 3 + 1)
      throw new Error(`apply.lua answered ${flat.length} values for ${persons.length} applicants`);
    const gen = flat[flat.length - 1]!;
    const out: GateResult[] = new Array(persons.length);
    for (let i = 0; i < persons.length; i++) out[i] = gateResult(flat, i * 3, gen);
    return out;
  }

  /**
   * Kafka holds these decisions: their reservations are confirmed; false where none is held any more.
   * With confirmReplicas, only once that many replicas hold the confirm (WAIT, on this connection: it
   * counts the connection's last write, the confirm or a later one), else ReplicasBehind.
   */
  async confirm(eventId: string, units: HeldUnit[]): Promise<boolean[]> {
    if (units.length === 0) return [];
    const k = this.keys(eventId);
    const out = (await this.call('confirm', k.reserved, k.decisions, k.meta, ...units.flatMap((u) => [u.person, u.ticket]))) as number[];
    const wanted = this.opts.confirmReplicas ?? 0;
    if (wanted > 0 && out.includes(CONFIRM.CONFIRMED)) {
      const acknowledged = await this.redis.wait(wanted, CONFIRM_WAIT_MS);
      if (acknowledged < wanted) throw new ReplicasBehind(wanted, acknowledged);
    }
    return out.map((v) => v === CONFIRM.CONFIRMED);
  }

  /**
   * Takes back a reservation nobody was told of (only if still unconfirmed with this ticket, and reserved
   * at or before `reservedBy`): its unit waits, revoked, until release() gives it back.
   */
  async revoke(eventId: string, person: string, ticket: number, reservedBy?: number): Promise<boolean> {
    const k = this.keys(eventId);
    return (await this.call('revoke', k.reserved, k.decisions, k.revoked, k.meta, person, ticket, reservedBy ?? '')) === REVOKE.REVOKED;
  }

  /** Gives a revoked unit back to the stock, once MySQL records its release. */
  async release(eventId: string, ticket: number): Promise<boolean> {
    const k = this.keys(eventId);
    return (await this.call('release', k.revoked, k.remaining, k.meta, ticket, gateChannel(this.prefix), eventId)) === RELEASE.RELEASED;
  }

  /** Which of these decisions read from Kafka are to be persisted (settle.lua). */
  async settle(eventId: string, units: HeldUnit[]): Promise<Settlement> {
    const k = this.keys(eventId);
    const out = (await this.call(
      'settle',
      k.meta,
      k.reserved,
      k.decisions,
      k.restoring,
      ...units.flatMap((u) => [u.person, u.ticket]),
    )) as (number | string)[];
    if (out[0] === SETTLE.UNSETTLED) return out[1] ? { kind: 'restoring', marker: parseMarker(String(out[1])) } : { kind: 'missing' };
    if (out.length !== units.length + 1) throw new Error(`settle.lua answered ${out.length - 1} values for ${units.length} decisions`);
    if (out[0] !== SETTLE.SETTLED) throw new Error(`settle.lua returned unknown code ${out[0]}`);
    return { kind: 'settled', persist: out.slice(1).map((v) => v === SETTLE.PERSIST) };
  }

  async setStock(eventId: string, total: number): Promise<{ ok: true; total: number; remaining: number } | { ok: false; winners: number }> {
    const k = this.keys(eventId);
    const [code, a, b] = (await this.call(
      'set-stock',
      k.meta,
      k.remaining,
      k.decisions,
      k.revoked,
      total,
      gateChannel(this.prefix),
      eventId,
    )) as number[];
    switch (code) {
      case SET_STOCK.SET:
        return { ok: true, total: a!, remaining: b! };
      case SET_STOCK.BELOW_WINNERS:
        return { ok: false, winners: a! };
      case SET_STOCK.MISSING:
        throw new StockStateMissing(eventId);
      default:
        throw new Error(`set-stock.lua returned unknown code ${code}`);
    }
  }

  async standing(eventId: string, person: string): Promise<StandingResult> {
    const k = this.keys(eventId);
    const [state, ticket, at] = (await this.call('status', k.reserved, k.decisions, k.meta, k.restoring, person)) as [
      string,
      number,
      number,
    ];
    switch (state) {
      case STATUS.WON:
        return { kind: 'won', ticket, decidedAt: at };
      case STATUS.UNCONFIRMED:
        return { kind: 'unconfirmed', ticket, decidedAt: at };
      case STATUS.UNSURE:
        return { kind: 'unsure' };
      case STATUS.NONE:
        return { kind: 'unknown' };
      default:
        throw new Error(`status.lua returned unknown state ${state}`);
    }
  }

  /** Live counts of an event, read in one round trip: winners, and those of them Kafka has not confirmed yet. */
  async counts(eventId: string): Promise<{ total: number; remaining: number; winners: number; unconfirmed: number }> {
    const k = this.keys(eventId);
    const res = await this.redis.multi().hget(k.meta, 'total').get(k.remaining).hlen(k.decisions).hlen(k.reserved).exec();
    const n = (i: number) => Number(res?.[i]?.[1] ?? 0);
    return { total: n(0), remaining: n(1), winners: n(2), unconfirmed: n(3) };
  }

  /** A new challenge for the person, sent from `network`, if the send limits allow (open-challenge.lua). */
  async openChallenge(
    person: string,
    network: string,
    challenge: { id: string; hash: string; ttlSeconds: number },
    limits: SendLimits,
  ): Promise<ChallengeOpening> {
    const k = signInKeys(this.prefix, person);
    const [code, seconds] = (await this.call(
      'open-challenge',
      k.sendsFrom(network),
      networkSendsKey(this.prefix, network),
      allSendsKey(this.prefix),
      k.challenge(challenge.id),
      k.latest,
      challenge.hash,
      challenge.id,
      challenge.ttlSeconds,
      limits.cooldownSeconds,
      limits.perPersonPerNetworkPerHour,
      limits.perNetworkPerHour,
      limits.allPerMinute,
    )) as [number, number];
    switch (code) {
      case OPENING.OPENED:
        return { kind: 'opened' };
      case OPENING.COOLDOWN:
        return { kind: 'cooldown', seconds };
      case OPENING.PERSON_SPENT:
        return { kind: 'person-spent', seconds };
      case OPENING.NETWORK_SPENT:
        return { kind: 'network-spent', seconds };
      case OPENING.ALL_SPENT:
        return { kind: 'all-spent', seconds };
      default:
        throw new Error(`open-challenge.lua returned unknown code ${code}`);
    }
  }

  /** The id of the person's latest challenge, if one is live. */
  latestChallenge(person: string): Promise<string | null> {
    return this.redis.get(signInKeys(this.prefix, person).latest);
  }

  /** One try of a code against a challenge, counted before it is compared (check-challenge.lua). */
  async checkChallenge(person: string, path: ChallengePath, hash: string, allowed: number): Promise<ChallengeCheck> {
    const k = signInKeys(this.prefix, person);
    const [code, left] = (await this.call(
      'check-challenge',
      k.challenge(path.id),
      k.latest,
      hash,
      path.by === 'id' ? 'n' : 'l',
      allowed,
      path.id,
    )) as [number, number];
    switch (code) {
      case CHECK.ACCEPTED:
        return { kind: 'ok' };
      case CHECK.WRONG:
        return { kind: 'wrong', attemptsLeft: left };
      case CHECK.MISSING:
        return { kind: 'missing' };
      default:
        throw new Error(`check-challenge.lua returned unknown code ${code}`);
    }
  }
}
