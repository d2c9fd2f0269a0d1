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

/** The gate's SOLD_OUT as the board answers it: the event's signed sold-out statement always in it. */
export type SoldOutResult = Extract<GateResult, { kind: 'sold-out' }> & { statement: string };

/** The sold-out facts as one read of Redis found them; soldAt: the moment, when apply.lua ended the sale. */
interface SoldOutRead {
  facts: { event: string; units: number; lastTicket: number };
  soldAt?: number;
  open: boolean;
  closes: number;
}

/** How long a statement read straight from Redis (the board had none) is answered before it is read again. */
const DIRECT_FRESH_MS = 1_000;

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
 *
 * The statement does not wait for the board: a SOLD_OUT the gate gives while there is none (the
 * subscription down, a read thrown away or failed) carries the statement read straight from Redis
 * (`refusal`), true of the moment read whatever came since.
 */
export class SoldOutBoard {
  private readonly boards = new Map<string, SoldOut>();
  /** Each board being read: its SOLD_OUT once signed (undefined when it could not be), which may be before its winners are read. */
  private readonly sealing = new Map<string, Promise<SoldOutResult | undefined>>();
  /** SOLD_OUTs read straight from Redis when the board had none: one read per event at a time, answered a moment. */
  private readonly direct = new Map<string, { readAt: number; refusal: Promise<SoldOutResult | undefined> }>();
  /** Each event's last signed SOLD_OUT and the facts it says: the same facts answer the same object. */
  private readonly signed = new Map<string, { says: string; refusal: SoldOutResult }>();
  /** Messages heard per event, and gaps in the subscription: a board read across either is stale. */
  private readonly moves = new Map<string, number>();
  private gaps = 0;
  private live = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly subscriber: Subscriber,
    private readonly log: Logger,
    private readonly seal: SealSoldOut,
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
  answer(eventId: string, person: string, now = Date.now()): SoldOutResult | undefined {
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
   * The event's SOLD_OUT, its signed statement in it, for a SOLD_OUT the gate gave: the board's, once
   * read (when apply.lua ended the sale it kept the moment, soldAt, and the statement is signed from one
   * read of the meta before the winners are read; otherwise the moment is the last decision's, read
   * with the winners). When the board has none (the subscription is down, or its read was thrown away
   * or failed), read straight from Redis. undefined: the event is not sold out now (a unit came back
   * since the gate's answer), is being restored, or Redis could not be read.
   */
  async refusal(eventId: string): Promise<SoldOutResult | undefined> {
    return (await this.sealing.get(eventId)) ?? this.boards.get(eventId)?.refusal ?? this.readDirect(eventId);
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

  /** The event's sold-out facts, read in one MULTI; undefined when it is not sold out, is restoring, or its state is not whole here. */
  private async readNow(eventId: string): Promise<SoldOutRead | undefined> {
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
    // State made on another Redis server (restarted, failed over) is unknown to the gate (apply.lua).
    const whole = server !== null && server === serverIdentityIn(`${infoServer}\n${infoReplication}`);
    if (restoring || !whole || remaining === null || Number(remaining) > 0) return undefined;
    return {
      facts: { event: eventId, units: Number(total ?? 0), lastTicket: Number(seq ?? 0) },
      soldAt: soldAt ? Number(soldAt) : undefined,
      open: state === 'open' && !(opensAt && now < Number(opensAt)) && now < closes,
      closes,
    };
  }

  /**
   * The event's winners, each given to `winner`; with `moment`, the last decision's time too: the moment
   * a sale sold that apply.lua did not end (the stock set, a restore).
   */
  private async readWinners(eventId: string, winner: (person: string) => void, moment: boolean): Promise<number> {
    let at = 0;
    const decisions = eventKeys(this.prefix, eventId).decisions;
    for await (const chunk of this.redis.hscanStream(decisions, { count: 1_000 }) as AsyncIterable<string[]>) {
      for (let i = 0; i < chunk.length; i += 2) {
        winner(chunk[i]!);
        if (moment) at = Math.max(at, decisionOf(chunk[i + 1]!)?.decidedAt ?? 0);
      }
    }
    return at;
  }

  /**
   * The SOLD_OUT of these facts at this moment, signed. Every process reads the same facts, and Ed25519
   * signs them the same way, so every process carries the same statement.
   */
  private async refusalAt(facts: SoldOutRead['facts'], at: number): Promise<SoldOutResult> {
    const says = `${facts.units}:${facts.lastTicket}:${at}`;
    const held = this.signed.get(facts.event);
    if (held?.says === says) return held.refusal;
    const refusal: SoldOutResult = { kind: 'sold-out', statement: await this.seal({ ...facts, at }) };
    this.signed.set(facts.event, { says, refusal });
    return refusal;
  }

  /** The SOLD_OUT read straight from Redis, without the board: one read per event at a time, answered for a moment. */
  private readDirect(eventId: string): Promise<SoldOutResult | undefined> {
    const now = Date.now();
    const held = this.direct.get(eventId);
    if (held && now - held.readAt < DIRECT_FRESH_MS) return held.refusal;
    const refusal = (async () => {
      const read = await this.readNow(eventId);
      if (!read) return undefined;
      return this.refusalAt(read.facts, read.soldAt ?? (await this.readWinners(eventId, () => {}, true)));
    })().catch((err: unknown) => {
      this.log.warn({ err, eventId }, "the sold-out statement could not be read: the gate's SOLD_OUT is answered with try again");
      return undefined;
    });
    const entry = { readAt: now, refusal };
    this.direct.set(eventId, entry);
    // Only a statement is answered again: a read that found none is made anew by the next SOLD_OUT.
    void refusal.then((r) => {
      if (r === undefined && this.direct.get(eventId) === entry) this.direct.delete(eventId);
    });
    return refusal;
  }

  private async load(eventId: string, sealed: (refusal: SoldOutResult | undefined) => void): Promise<void> {
    const seen = this.stamp(eventId);
    try {
      const read = await this.readNow(eventId);
      if (!read?.open) return;
      // Nothing here changes while the event stays sold out: its winners are all it must know. The
      // moment it sold is the last decision (soldAt, kept by apply.lua as it took the last unit; read
      // from the decisions when the sale ended otherwise).
      const early = read.soldAt === undefined ? undefined : await this.refusalAt(read.facts, read.soldAt);
      if (early && this.live && this.stamp(eventId) === seen) sealed(early);
      const winners = new WinnerFilter();
      const at = await this.readWinners(eventId, (person) => winners.add(person), early === undefined);
      const refusal = early ?? (await this.refusalAt(read.facts, at));
      if (this.live && this.stamp(eventId) === seen) {
        this.boards.set(eventId, { closesAt: read.closes, winners, refusal });
        this.direct.delete(eventId);
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
