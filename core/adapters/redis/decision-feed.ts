import type { Redis } from 'ioredis';
import { eventKeys } from './keys.ts';
import type { Subscriber } from './subscriber.ts';
import type { Logger } from '../../platform/log.ts';
import type { Announce, Winner } from '../../domain/decision.ts';

/**
 * What the server's streams hear: a persisted win of the person they wait for, or `resync` when the
 * subscriber connection came back after a gap (messages may have been missed: read the standing again),
 * or `closing` when the server stops.
 */
export type FeedSignal = { kind: 'decided'; winner: Winner } | { kind: 'resync' } | { kind: 'closing' };
export type FeedListener = (signal: FeedSignal) => void;

type Wire = { v: 1; d: [person: string, decision: 'W' | 'L', ticket: number, decidedAtMs: number][] };

/**
 * One message per event per decided batch (published by core/use-cases/persistence/persist.ts once the batch is in MySQL):
 * compact, since it may carry thousands of decisions.
 */
export function encodeDecisions(winners: Winner[]): string {
  const wire: Wire = { v: 1, d: winners.map((w) => [w.person, 'W', w.ticket, w.decidedAt]) };
  return JSON.stringify(wire);
}

export function decodeDecisions(message: string): Winner[] {
  const wire = JSON.parse(message) as Wire;
  if (wire?.v !== 1 || !Array.isArray(wire.d)) return [];
  return wire.d.filter(([, decision]) => decision === 'W').map(([person, , ticket, decidedAt]) => ({ person, ticket, decidedAt }));
}

/** The consumer's side: one PUBLISH per event per decided batch, on the event's decisions channel. */
export function announcer(redis: Redis, prefix: string): Announce {
  return async (eventId, decisions) => {
    if (decisions.length > 0) await redis.publish(eventKeys(prefix, eventId).decisionsChannel, encodeDecisions(decisions));
  };
}

/**
 * The server's side: the process's one subscriber connection (core/adapters/redis/subscriber.ts), whatever the
 * number of open streams. An event's channel is subscribed while someone in this process waits on it;
 * each message is fanned out in-process to the listeners waiting for the persons it names.
 */
export class DecisionFeed {
  /** channel -> person -> listeners */
  private readonly waiting = new Map<string, Map<string, Set<FeedListener>>>();
  private readonly subscribing = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly subscriber: Subscriber,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    // What was published while the connection was down is gone: every stream reads its standing again.
    subscriber.onResume(() => this.broadcast({ kind: 'resync' }));
  }

  /** How many listeners wait, in this process. */
  get listeners(): number {
    let n = 0;
    for (const byPerson of this.waiting.values()) for (const set of byPerson.values()) n += set.size;
    return n;
  }

  /**
   * Listens for the decision on (eventId, person). Resolves once the channel is subscribed, so a
   * standing read after this resolves can not miss a decision. Returns the function that stops it.
   */
  async watch(eventId: string, person: string, listener: FeedListener): Promise<() => void> {
    if (this.closed) throw new Error('the decision feed is closed');
    const channel = eventKeys(this.prefix, eventId).decisionsChannel;
    let byPerson = this.waiting.get(channel);
    if (!byPerson) {
      byPerson = new Map();
      this.waiting.set(channel, byPerson);
      this.subscribing.set(
        channel,
        this.subscriber.subscribe(channel, (message) => this.deliver(channel, message)),
      );
    }
    let set = byPerson.get(person);
    if (!set) byPerson.set(person, (set = new Set()));
    set.add(listener);
    const stop = () => this.unwatch(channel, person, listener);
    try {
      await this.subscribing.get(channel);
    } catch (e) {
      stop();
      throw e;
    }
    return stop;
  }

  private unwatch(channel: string, person: string, listener: FeedListener): void {
    const byPerson = this.waiting.get(channel);
    const set = byPerson?.get(person);
    if (!byPerson || !set?.delete(listener)) return;
    if (set.size === 0) byPerson.delete(person);
    if (byPerson.size === 0) {
      this.waiting.delete(channel);
      this.subscribing.delete(channel);
      this.subscriber.unsubscribe(channel);
    }
  }

  private deliver(channel: string, message: string): void {
    const byPerson = this.waiting.get(channel);
    if (!byPerson) return;
    let winners: Winner[];
    try {
      winners = decodeDecisions(message);
    } catch (err) {
      this.log.warn({ err, channel }, 'undecodable decision message ignored');
      return;
    }
    for (const winner of winners) {
      const set = byPerson.get(winner.person);
      if (set) for (const listener of [...set]) listener({ kind: 'decided', winner });
    }
  }

  private broadcast(signal: FeedSignal): void {
    for (const byPerson of this.waiting.values()) {
      for (const set of byPerson.values()) for (const listener of [...set]) listener(signal);
    }
  }

  /** Tells every listener the server is stopping; the connection is its owner's to close. */
  close(): void {
    this.closed = true;
    this.broadcast({ kind: 'closing' });
    for (const channel of this.waiting.keys()) this.subscriber.unsubscribe(channel);
    this.waiting.clear();
    this.subscribing.clear();
  }
}
