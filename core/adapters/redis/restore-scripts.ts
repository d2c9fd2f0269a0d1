import type { Redis } from 'ioredis';
import { defineScripts, results } from './lua-scripts.ts';
import { eventKeys, gateChannel, restoreLeaseKey } from './keys.ts';
import type { EndOffsets, EventSettings, RestoreMarker } from '../../domain/event.ts';
import type { Winner } from '../../domain/decision.ts';

/** The scripts that put an event into Redis from MySQL: its settings, and a restore after Redis lost it. */
const SCRIPTS = ['put-event', 'begin-restore', 'restore-winners', 'finish-restore', 'owned-key'] as const;
type ScriptName = (typeof SCRIPTS)[number];

/** Each script's results, by the names its header gives them. */
const PUT_EVENT = results('put-event');
const BEGIN = results('begin-restore');
const RESTORE_WINNERS = results('restore-winners');
const FINISH = results('finish-restore');
const OWNED_KEY = results('owned-key');

export function parseMarker(raw: string): RestoreMarker {
  const m = JSON.parse(raw) as { ends: EndOffsets; at: number; gen?: number };
  return m.gen === undefined ? { raw, ends: m.ends, at: m.at } : { raw, ends: m.ends, at: m.at, gen: m.gen };
}

/**
 * begun: this call set the marker; restoring: one was in force; whole: the event's state is there;
 * dropped: forced, begin again (with the dropped state's generation, when it had one).
 */
export type BeginResult =
  | { kind: 'begun'; marker: RestoreMarker }
  | { kind: 'restoring'; marker: RestoreMarker }
  | { kind: 'whole' }
  | { kind: 'dropped'; gen?: number };

export class RestoreScripts {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.call = defineScripts(redis, SCRIPTS);
  }

  private readonly call: (name: ScriptName, ...args: (string | number)[]) => Promise<unknown>;

  private keys(eventId: string) {
    return eventKeys(this.prefix, eventId);
  }

  /** Settings into Redis. Returns the remaining stock, 'missing' (restore first) or 'restoring'. */
  async loadEvent(eventId: string, e: EventSettings, isNew = false): Promise<number | 'missing' | 'restoring'> {
    const k = this.keys(eventId);
    const r = (await this.call(
      'put-event',
      k.meta,
      k.remaining,
      k.restoring,
      e.state,
      e.opensAt ?? '',
      e.closesAt ?? '',
      e.total,
      isNew ? 'new' : '',
      gateChannel(this.prefix),
      eventId,
    )) as number;
    return r === PUT_EVENT.MISSING ? 'missing' : r === PUT_EVENT.RESTORING ? 'restoring' : r;
  }

  /** gen: the generation of the state replaced, should its meta be gone (a forced drop's, or MySQL's). */
  async beginRestore(eventId: string, ends: EndOffsets, now: number, force = false, gen?: number): Promise<BeginResult> {
    const k = this.keys(eventId);
    const [code, raw, dropped] = (await this.call(
      'begin-restore',
      k.meta,
      k.remaining,
      k.decisions,
      k.reserved,
      k.restoring,
      k.revoked,
      JSON.stringify(ends),
      now,
      force ? 'force' : '',
      gateChannel(this.prefix),
      eventId,
      gen ?? '',
    )) as [number, string, number?];
    switch (code) {
      case BEGIN.WHOLE:
        return { kind: 'whole' };
      case BEGIN.DROPPED:
        return dropped !== undefined && dropped >= 0 ? { kind: 'dropped', gen: dropped } : { kind: 'dropped' };
      case BEGIN.BEGUN:
        return { kind: 'begun', marker: parseMarker(raw) };
      case BEGIN.IN_FORCE:
        return { kind: 'restoring', marker: parseMarker(raw) };
      default:
        throw new Error(`begin-restore.lua returned unknown code ${code}`);
    }
  }

  async marker(eventId: string): Promise<RestoreMarker | null> {
    const raw = await this.redis.get(this.keys(eventId).restoring);
    return raw === null ? null : parseMarker(raw);
  }

  /** Writes a chunk of MySQL's winners; false when the marker is no longer this restore's. */
  async restoreWinners(eventId: string, marker: RestoreMarker, winners: Winner[]): Promise<boolean> {
    const k = this.keys(eventId);
    const args = winners.flatMap((w) => [w.person, w.ticket, w.decidedAt]);
    return (await this.call('restore-winners', k.decisions, k.restoring, marker.raw, ...args)) !== RESTORE_WINNERS.WRONG_MARKER;
  }

  async finishRestore(
    eventId: string,
    marker: RestoreMarker,
    e: EventSettings & { maxTicket: number; gen: number; winners: number },
  ): Promise<{ finished: boolean; incomplete?: true; remaining: number; winners: number; tickets: number }> {
    const k = this.keys(eventId);
    const [done, remaining, winners, tickets] = (await this.call(
      'finish-restore',
      k.meta,
      k.remaining,
      k.decisions,
      k.reserved,
      k.ticketSeq,
      k.restoring,
      k.revoked,
      marker.raw,
      e.state,
      e.opensAt ?? '',
      e.closesAt ?? '',
      e.total,
      e.maxTicket,
      gateChannel(this.prefix),
      eventId,
      e.gen,
      e.winners,
    )) as number[];
    if (done === FINISH.INCOMPLETE) return { finished: false, incomplete: true, remaining: 0, winners: winners!, tickets: 0 };
    return { finished: done === FINISH.FINISHED, remaining: remaining!, winners: winners!, tickets: tickets! };
  }

  /** Drops a marker (an event MySQL no longer knows): only if it is still the one given. */
  async dropMarker(eventId: string, marker: RestoreMarker): Promise<boolean> {
    return (await this.call('owned-key', this.keys(eventId).restoring, marker.raw, 0)) === OWNED_KEY.OWNED;
  }

  async takeLease(eventId: string, owner: string, ms: number): Promise<boolean> {
    return (await this.redis.set(restoreLeaseKey(this.prefix, eventId), owner, 'PX', ms, 'NX')) === 'OK';
  }

  /** Renews the lease (ms > 0) or gives it up (0); false when it is no longer the owner's. */
  async holdLease(eventId: string, owner: string, ms: number): Promise<boolean> {
    return (await this.call('owned-key', restoreLeaseKey(this.prefix, eventId), owner, ms)) === OWNED_KEY.OWNED;
  }
}
