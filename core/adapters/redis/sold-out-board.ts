import type { Redis } from 'ioredis';
import { eventKeys, gateChannel } from './keys.ts';
import { decisionOf } from './event-values.ts';
import { WinnerFilter } from './winner-filter.ts';
import { serverIdentityIn } from './server-identity.ts';
import type { Subscriber } from './subscriber.ts';
import type { GateResult } from './scripts.ts';
import type { Logger } from '../../platform/log.ts';

/** A sold-out event as this process remembers it: who may be among its winners. */
interface SoldOut {
  closesAt: number;
  winners: WinnerFilter;
  /** The answer for everyone else, the event's signed sold-out statement in it: made once, answered to all. */
  refusal: SoldOutResult;
}

type SoldOutResult = GateResult & { kind: 'sold-out' };

/** Signs the sold-out moment (core/use-cases/proof/receipts.ts). */
export type SealSoldOut = (facts: { event: string; units: number; lastTicket: number; at: number }) => Promise<string>;

/**
 * Most of a giveaway's crowd arrives after the gifts are gone. Once an event is sold out, the gate's
 * answer for everyone but its winners is SOLD_OUT until something gives stock back, and every script
 * that can (set-stock, release, put-event, begin- and finish-restore) says so on the gate channel, as
 * apply.lua does when it takes the last unit. So each API process keeps a board of its sold-out events
 * and answers SOLD_OUT from it without a Redis round trip; a winner pressing again goes to the gate,
 * which knows their ticket and whether Kafka holds it (else it sends the decision again).
 *
 * The board is only as good as the subscription: it is wiped when the connection drops, and filled
 * again only from what Redis says once the subscription is back. A board read from Redis is kept only if
 * no message for its event, and no gap, came while it was being read.
 */
export class SoldOutBoard {
  private readonly boards = new Map<string, SoldOut>();
  /** Each board being read: its SOLD_OUT once signed (undefined when it could not be), which may be before its winners are read. */
  private readonly sealing = new Map<string, Promise<SoldOutResult | undefined>>();
  /** Messages heard per event, and gaps in the subscription: a board read across either is stale. */
  private readonly moves = new Map<string, number>();
  private gaps = 0;
  private live = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly subscriber: Subscriber,
    private readonly log: Logger,
    private readonly seal?: SealSoldOut,
  ) {}

  /** Subscribes to the gate channel; until Redis confirmed it, the board stays empty. */
  async start(): Promise<void> {
    this.subscriber.onGap(() => {
      this.live = false;
      this.gaps++;
      this.boards.clear();
    });
    this.subscriber.onResume(() => {
      this.live = true;
    });
    await this.subscriber.subscribe(gateChannel(this.prefix), (message) => this.heard(message));
    this.live = true;
  }

  /**
   * SOLD_OUT when the board knows it; undefined: ask the gate. A winner (or the rare stranger the filter
   * can't tell from one) goes to the gate: the board keeps 4 bytes per winner, not their addresses and
   * decisions (about 130 bytes), so an event with 500,000 winners costs each API process 2 MB, not 65.
   */
  answer(eventId: string, person: string, now = Date.now()): GateResult | undefined {
    const board = this.boards.get(eventId);
    if (board === undefined) return undefined;
    if (now >= board.closesAt) {
      this.boards.delete(eventId);
      return undefined;
    }
    return board.winners.mayHold(person) ? undefined : board.refusal;
  }

  /** The gate answered SOLD_OUT: the board reads the event's winners once, for the answers that follow. */
  noticed(eventId: string): void {
    if (!this.live || this.boards.has(eventId) || this.sealing.has(eventId)) return;
    let sealed!: (refusal: SoldOutResult | undefined) => void;
    this.sealing.set(eventId, new Promise((resolve) => (sealed = resolve)));
    void this.load(eventId, sealed);
  }

  /**
   * The event's SOLD_OUT (its signed statement in it) once signed, waiting for that at most `ms`: the
   * few answers the gate gives before the board is read carry the statement too. When apply.lua ended
   * the sale it kept the moment (soldAt), and the statement is signed from three fields, however many
   * winners the board must then read; otherwise (the operator's stock set, a restore) it waits for them.
   */
  async refusalSoon(eventId: string, ms: number): Promise<SoldOutResult | undefined> {
    const sealing = this.sealing.get(eventId);
    if (sealing) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const sealed = await Promise.race([sealing, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
      clearTimeout(timer);
      if (sealed) return sealed;
    }
    return this.boards.get(eventId)?.refusal;
  }

  /** How many sold-out events this process answers for from memory. */
  get size(): number {
    return this.boards.size;
  }

  private heard(message: string): void {
    const space = message.indexOf(' ');
    const kind = message.slice(0, space);
    const eventId = message.slice(space + 1);
    this.moves.set(eventId, (this.moves.get(eventId) ?? 0) + 1);
    this.boards.delete(eventId);
    if (kind === 'sold') this.noticed(eventId);
  }

  private stamp(eventId: string): string {
    return `${this.gaps}:${this.moves.get(eventId) ?? 0}`;
  }

  private async load(eventId: string, sealed: (refusal: SoldOutResult | undefined) => void): Promise<void> {
    const seen = this.stamp(eventId);
    try {
      const k = eventKeys(this.prefix, eventId);
      const now = Date.now();
      const res = await this.redis
        .multi()
        .info('server')
        .info('replication')
        .exists(k.restoring)
        .hmget(k.meta, 'state', 'opensAt', 'closesAt', 'server', 'total', 'soldAt')
        .get(k.remaining)
        .get(k.ticketSeq)
        .exec();
      const [infoServer, infoReplication, restoring, meta, remaining, seq] = (res ?? []).map(([err, value]) => {
        if (err) throw err;
        return value;
      }) as [string, string, number, (string | null)[], string | null, string | null];
      const [state, opensAt, closesAt, server, total, soldAt] = meta;
      const closes = closesAt ? Number(closesAt) : Infinity;
      const open = state === 'open' && !(opensAt && now < Number(opensAt)) && now < closes;
      // State made on another Redis server (restarted, failed over) is unknown to the gate (apply.lua).
      const whole = server !== null && server === serverIdentityIn(`${infoServer}\n${infoReplication}`);
      if (restoring || !whole || !open || remaining === null || Number(remaining) > 0) return;
      // Nothing here changes while the event stays sold out: its winners are all it must know. The
      // moment it sold is the last decision (soldAt, kept by apply.lua as it took the last unit; read
      // from the decisions when the sale ended otherwise): every process reads the same facts, and
      // Ed25519 signs them the same way, so every process carries the same statement.
      const facts = { event: eventId, units: Number(total ?? 0), lastTicket: Number(seq ?? 0) };
      const refusalAt = async (at: number): Promise<SoldOutResult> => ({
        kind: 'sold-out',
        statement: await this.seal?.({ ...facts, at }),
      });
      const early = soldAt ? await refusalAt(Number(soldAt)) : undefined;
      if (early && this.live && this.stamp(eventId) === seen) sealed(early);
      const winners = new WinnerFilter();
      let at = 0;
      for await (const chunk of this.redis.hscanStream(k.decisions, { count: 1_000 }) as AsyncIterable<string[]>) {
        for (let i = 0; i < chunk.length; i += 2) {
          winners.add(chunk[i]!);
          if (!early) at = Math.max(at, decisionOf(chunk[i + 1]!)?.decidedAt ?? 0);
        }
      }
      const refusal = early ?? (await refusalAt(at));
      if (this.live && this.stamp(eventId) === seen) {
        this.boards.set(eventId, { closesAt: closes, winners, refusal });
        sealed(refusal);
      }
    } catch (err) {
      this.log.warn({ err, eventId }, 'the sold-out board could not be read: the gate answers meanwhile');
    } finally {
      sealed(undefined);
      this.sealing.delete(eventId);
    }
  }
}
