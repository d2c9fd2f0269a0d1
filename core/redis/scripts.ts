import { readFileSync } from 'node:fs';
import { fromRoot } from '../root.ts';
import type { Redis } from 'ioredis';
import { eventKeys, codeKeys } from './keys.ts';

/** Every Lua script, loaded once under a versioned name; one typed method each. */
const VERSION = 'v1';
const SCRIPTS = {
  apply: 5,
  release: 1,
  decide: 2,
  'set-stock': 2,
  status: 2,
  'verify-code': 1,
  'store-code': 2,
  'load-event': 2,
  'restore-decisions': 2,
  'restore-event': 5,
  'confirm-decisions': 3,
  'forget-decisions': 2,
} as const;
type ScriptName = keyof typeof SCRIPTS;

const commandName = (name: ScriptName) => `terning_${VERSION}_${name.replaceAll('-', '_')}`;

export type Decision = 'W' | 'L';

export type GateResult =
  | { kind: 'new'; ticket: number; appliedAt: number }
  | { kind: 'pending'; ticket: number; appliedAt: number }
  | { kind: 'decided'; ticket: number; decision: Decision; decidedAt: number }
  | { kind: 'no-event' }
  | { kind: 'not-open' }
  | { kind: 'sold-out' };

export type StandingResult =
  | { kind: 'decided'; decision: Decision; ticket: number; decidedAt: number }
  | { kind: 'pending'; ticket: number; appliedAt: number }
  | { kind: 'unknown' };

export interface DecidedApplication { email: string; ticket: number; decision: Decision; decidedAt: number }

export interface RestoredDecision { email: string; decision: Decision; ticket: number; decidedAt: number; appliedAt: number }

export interface RestoredEvent {
  state: string;
  opensAt: number | null;
  closesAt: number | null;
  total: number;
  maxTicket: number;
  epoch: string;
  /** missing: only if the stock is still missing; always: recount in any case. */
  mode: 'missing' | 'always';
}

export type CodeCheck = { kind: 'ok' } | { kind: 'wrong'; attemptsLeft: number } | { kind: 'missing' } | { kind: 'void' };

export class StockStateMissing extends Error {
  constructor(readonly eventId: string) {
    super(`the remaining stock of event ${eventId} is missing from Redis; run terning reconcile --fix`);
  }
}

type Call = (...args: (string | number)[]) => Promise<unknown>;

function gateResult(flat: (number | string)[], at: number): GateResult {
  const code = flat[at] as number;
  const ticket = flat[at + 1] as number;
  switch (code) {
    case 1: return { kind: 'new', ticket, appliedAt: flat[at + 2] as number };
    case 2: return { kind: 'pending', ticket, appliedAt: flat[at + 2] as number };
    case 3: return { kind: 'decided', ticket, decision: flat[at + 3] as Decision, decidedAt: flat[at + 4] as number };
    case -1: return { kind: 'no-event' };
    case -2: return { kind: 'not-open' };
    case -3: return { kind: 'sold-out' };
    default: throw new Error(`apply.lua returned unknown code ${code}`);
  }
}

export class Scripts {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    for (const [name, numberOfKeys] of Object.entries(SCRIPTS) as [ScriptName, number][]) {
      const lua = readFileSync(fromRoot('core/redis/lua', `${name}.lua`), 'utf8');
      redis.defineCommand(commandName(name), { numberOfKeys, lua });
    }
  }

  private call(name: ScriptName, ...args: (string | number)[]): Promise<unknown> {
    return ((this.redis as unknown as Record<string, Call>)[commandName(name)]).apply(this.redis, args);
  }

  keys(eventId: string) {
    return eventKeys(this.prefix, eventId);
  }

  async apply(eventId: string, email: string, now: number): Promise<GateResult> {
    return (await this.applyMany(eventId, [email], now))[0]!;
  }

  /** The gate for several applicants of one event in one call, in their order of arrival. */
  async applyMany(eventId: string, emails: string[], now: number): Promise<GateResult[]> {
    const k = this.keys(eventId);
    const flat = (await this.call('apply', k.meta, k.remaining, k.applicants, k.decisions, k.ticketSeq, now, ...emails)) as (number | string)[];
    if (flat.length !== emails.length * 5) throw new Error(`apply.lua answered ${flat.length} values for ${emails.length} applicants`);
    const out: GateResult[] = new Array(emails.length);
    for (let i = 0; i < emails.length; i++) out[i] = gateResult(flat, i * 5);
    return out;
  }

  async release(eventId: string, email: string, ticket: number): Promise<boolean> {
    return (await this.call('release', this.keys(eventId).applicants, email, ticket)) === 1;
  }

  async decide(eventId: string, applications: { email: string; ticket: number }[], now: number): Promise<DecidedApplication[]> {
    const k = this.keys(eventId);
    const args = applications.flatMap((a) => [a.email, a.ticket]);
    const out = (await this.call('decide', k.remaining, k.decisions, now, ...args)) as number | (string | number)[];
    if (out === -1) throw new StockStateMissing(eventId);
    const flat = out as (string | number)[];
    return applications.map((a, i) => ({
      email: a.email,
      decision: flat[i * 3] as Decision,
      ticket: Number(flat[i * 3 + 1]),
      decidedAt: Number(flat[i * 3 + 2]),
    }));
  }

  async setStock(eventId: string, total: number): Promise<{ ok: true; total: number; remaining: number } | { ok: false; winners: number }> {
    const k = this.keys(eventId);
    const [code, a, b] = (await this.call('set-stock', k.meta, k.remaining, total)) as number[];
    if (code === -2) throw new StockStateMissing(eventId);
    return code === 1 ? { ok: true, total: a!, remaining: b! } : { ok: false, winners: a! };
  }

  async standing(eventId: string, email: string): Promise<StandingResult> {
    const k = this.keys(eventId);
    const [state, ticket, at] = (await this.call('status', k.applicants, k.decisions, email)) as [string, number, number];
    if (state === 'W' || state === 'L') return { kind: 'decided', decision: state, ticket, decidedAt: at };
    if (state === 'P') return { kind: 'pending', ticket, appliedAt: at };
    return { kind: 'unknown' };
  }

  /** winners null: a missing stock is not rebuilt here and -1 is returned (restore it from MySQL). */
  async loadEvent(eventId: string, e: { state: string; opensAt: number | null; closesAt: number | null; total: number; winners: number | null }): Promise<number> {
    const k = this.keys(eventId);
    return (await this.call('load-event', k.meta, k.remaining, e.state, e.opensAt ?? '', e.closesAt ?? '', e.total, e.winners ?? '')) as number;
  }

  /** Puts one chunk of MySQL's decisions back; returns how many were missing or different. */
  async restoreDecisions(eventId: string, rows: RestoredDecision[]): Promise<number> {
    if (rows.length === 0) return 0;
    const k = this.keys(eventId);
    const args = rows.flatMap((r) => [r.email, r.decision, r.ticket, r.decidedAt, r.appliedAt]);
    return (await this.call('restore-decisions', k.decisions, k.applicants, ...args)) as number;
  }

  /** The last step of a restore: settings, stock recounted from the decisions, tickets, a new epoch. */
  async restoreEvent(eventId: string, e: RestoredEvent): Promise<{ restored: boolean; remaining: number; winners: number }> {
    const k = this.keys(eventId);
    const [done, remaining, winners] = (await this.call(
      'restore-event', k.meta, k.remaining, k.decisions, k.ticketSeq, k.restoreEpoch,
      e.state, e.opensAt ?? '', e.closesAt ?? '', e.total, e.maxTicket, e.epoch, e.mode,
    )) as number[];
    return { restored: done === 1, remaining: remaining!, winners: winners! };
  }

  /** The restore epoch now: read before deciding, handed to confirmDecisions after the write. */
  async restoreEpoch(eventId: string): Promise<string> {
    return (await this.redis.get(this.keys(eventId).restoreEpoch)) ?? '';
  }

  /** Puts back decisions a restore could not see (their write was in flight); returns how many. */
  async confirmDecisions(eventId: string, epoch: string, decisions: DecidedApplication[]): Promise<number> {
    if (decisions.length === 0) return 0;
    const k = this.keys(eventId);
    const args = decisions.flatMap((d) => [d.email, `${d.decision}|${d.ticket}|${d.decidedAt}`]);
    return (await this.call('confirm-decisions', k.restoreEpoch, k.decisions, k.remaining, epoch, ...args)) as number;
  }

  /** Drops decisions only Redis holds, each only if unchanged; returns how many. */
  async forgetDecisions(eventId: string, decisions: { email: string; value: string }[]): Promise<number> {
    if (decisions.length === 0) return 0;
    const k = this.keys(eventId);
    return (await this.call('forget-decisions', k.decisions, k.applicants, ...decisions.flatMap((d) => [d.email, d.value]))) as number;
  }

  /** Live counts of an event, read in one round trip. */
  async counts(eventId: string): Promise<{ total: number; remaining: number; applied: number; decided: number }> {
    const k = this.keys(eventId);
    const res = await this.redis.multi().hget(k.meta, 'total').get(k.remaining).hlen(k.applicants).hlen(k.decisions).exec();
    const n = (i: number) => Number(res?.[i]?.[1] ?? 0);
    return { total: n(0), remaining: n(1), applied: n(2), decided: n(3) };
  }

  async storeCode(email: string, hash: string, ttlSeconds: number, cooldownSeconds: number): Promise<number> {
    const k = codeKeys(this.prefix, email);
    return (await this.call('store-code', k.code, k.cooldown, hash, ttlSeconds, cooldownSeconds)) as number;
  }

  async verifyCode(email: string, hash: string, maxAttempts: number): Promise<CodeCheck> {
    const [code, left] = (await this.call('verify-code', codeKeys(this.prefix, email).code, hash, maxAttempts)) as [number, number];
    if (code === 1) return { kind: 'ok' };
    if (code === 0) return { kind: 'wrong', attemptsLeft: left };
    if (code === -2) return { kind: 'void' };
    return { kind: 'missing' };
  }
}
