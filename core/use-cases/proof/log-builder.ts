import { createSecretKey, type KeyObject } from 'node:crypto';
import type { LogSource, LogState, NewLeaf, OperatorChange, ProofLogRepo, StoredDecision } from '../../adapters/mysql/proof-log-repo.ts';
import type { Logger } from '../../platform/log.ts';
import { commitmentOf, leafBytes, nonceOf, type LogEntry } from './entries.ts';
import { leafHash } from './merkle.ts';

/** A page of the log's sources read per turn: a log far behind catches up over a few turns. */
const PAGE = 2_000;
/** How long a row may take from its id to its commit and still be seen by the next turns. */
const SETTLE_MS = 10_000;
/** How often every live event is looked at anyway. */
const SWEEP_MS = 60_000;

/**
 * The operator's changes as log entries: a stock set, an opening (now or scheduled), a closing. Other
 * audit entries of the event (none today) have no entry.
 */
export function changeEntries(eventId: string, c: OperatorChange): LogEntry[] {
  const to = (c.to ?? {}) as { totalStock?: number; state?: string; opensAt?: string | null; closesAt?: string | null };
  const from = (c.from ?? {}) as { closesAt?: string | null };
  const out: LogEntry[] = [];
  if ((c.action === 'stock.set' || c.action === 'event.create') && typeof to.totalStock === 'number') {
    out.push({ kind: 'stock', event: eventId, at: c.at, total: to.totalStock });
  }
  // Opened now: no opensAt is stored, the change's time is the opening.
  if (c.action === 'event.open' || (c.action === 'event.create' && to.state !== undefined && to.state !== 'draft')) {
    out.push({ kind: 'open', event: eventId, at: c.at, opensAt: to.opensAt ? Date.parse(to.opensAt) : c.at });
  }
  if (c.action !== 'stock.set' && to.closesAt && (c.action === 'event.close' || to.closesAt !== from.closesAt)) {
    out.push({ kind: 'close', event: eventId, at: c.at, closesAt: Date.parse(to.closesAt) });
  }
  return out;
}

const leafOf = (e: LogEntry): NewLeaf => {
  const leaf = leafBytes(e);
  return { leaf, hash: leafHash(leaf), ticket: e.kind === 'won' || e.kind === 'released' ? e.ticket : null };
};

/**
 * Appends to an event's log what is final: decisions persisted in MySQL, in ticket order and only as
 * a contiguous run (ticket n waits until every ticket before it is persisted or given back, so the log
 * is never rewritten), and the operator's changes, merged with them by time. A consumer runs it every
 * moment; MySQL's row lock makes two consumers take turns, so any number may run it.
 */
/** The longest a log waits in a row while winners are persisted (LogBuilder's `persisting`). */
export const MAX_DEFER_MS = 5_000;

export class LogBuilder {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** The marks of the last turns, newest last: a turn reads past the newest one at least SETTLE_MS old. */
  private marks: { at: number; decision: number; audit: number }[] = [];
  private sweptAt = 0;
  /** Imported once: an HMAC keyed by a Buffer imports it anew, and a log builds a leaf per winner. */
  private readonly nonceKey: KeyObject;

  /** Since when turns have been put off for the persister's sake. */
  private deferredSince?: number;

  /**
   * `persisting` tells whether winners are being persisted in this process: a turn then waits, for up
   * to MAX_DEFER_MS in a row, so that a backlog of winners gets the CPU and MySQL first (the log
   * builds a leaf per winner and costs about as much again as persisting it); the log catches up after.
   */
  constructor(
    private readonly repo: Pick<ProofLogRepo, 'eventsToBuild' | 'marksNow' | 'touchedSince' | 'append'>,
    nonceSecret: Buffer,
    private readonly log: Logger,
    private readonly everyMs = 500,
    private readonly persisting: () => boolean = () => false,
    private readonly maxDeferMs = MAX_DEFER_MS,
  ) {
    this.nonceKey = createSecretKey(nonceSecret);
  }

  start(): void {
    const tick = () => {
      const now = Date.now();
      if (this.persisting() && now - (this.deferredSince ??= now) < this.maxDeferMs) {
        this.timer = setTimeout(tick, this.everyMs);
        return;
      }
      this.deferredSince = undefined;
      this.running = this.buildAll()
        .catch((err) => this.log.warn({ err }, 'the public logs could not be built this turn; trying again'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.everyMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * The events with something new since a few seconds ago (rows commit in another order than their
   * ids were drawn, so the marks trail by SETTLE_MS), and, at the start and once a minute, every live
   * event with something to append.
   */
  async buildAll(now = Date.now()): Promise<void> {
    if (this.marks.length === 0) this.marks = [{ at: now - SETTLE_MS, ...(await this.repo.marksNow()) }];
    const aged = this.marks.filter((m) => m.at <= now - SETTLE_MS);
    const since = aged.at(-1)!;
    const touched = await this.repo.touchedSince(since);
    this.marks = [
      since,
      ...this.marks.filter((m) => m.at > now - SETTLE_MS),
      { at: now, decision: touched.decision, audit: touched.audit },
    ];
    const events = new Set(touched.events);
    if (now - this.sweptAt >= SWEEP_MS) {
      for (const id of await this.repo.eventsToBuild(new Date(now - 86_400_000))) events.add(id);
      this.sweptAt = now;
    }
    for (const eventId of events) {
      while ((await this.build(eventId)) >= PAGE);
    }
  }

  /** One turn for one event: how many leaves it appended. */
  build(eventId: string): Promise<number> {
    return this.repo.append(eventId, (state, source) => this.plan(eventId, state, source));
  }

  private async plan(eventId: string, state: LogState, source: LogSource): Promise<{ leaves: NewLeaf[]; state: LogState }> {
    const decisions = contiguous(await source.decisions(state.nextTicket, PAGE), state.nextTicket);
    const changes = await source.changes(state.auditId, PAGE);
    const leaves: NewLeaf[] = [];
    let nextTicket = state.nextTicket;
    let auditId = state.auditId;
    let d = 0;
    let c = 0;
    while (leaves.length < PAGE && (d < decisions.length || c < changes.length)) {
      const decision = decisions[d];
      const change = changes[c];
      if (decision && (!change || decision.at <= change.at)) {
        leaves.push(leafOf(this.entryOf(eventId, decision)));
        nextTicket = decision.ticket + 1;
        d++;
      } else {
        for (const e of changeEntries(eventId, change!)) leaves.push(leafOf(e));
        auditId = change!.id;
        c++;
      }
    }
    return { leaves, state: { size: state.size + leaves.length, nextTicket, auditId } };
  }

  private entryOf(eventId: string, d: StoredDecision): LogEntry {
    if (d.kind === 'released') return { kind: 'released', event: eventId, ticket: d.ticket, at: d.at };
    const commitment = commitmentOf(d.person, nonceOf(this.nonceKey, eventId, d.ticket, d.person));
    return { kind: 'won', event: eventId, ticket: d.ticket, at: d.at, commitment };
  }
}

/** The decisions from `next` on with no ticket missing: where one is missing, the log waits for it. */
function contiguous(ds: StoredDecision[], next: number): StoredDecision[] {
  let n = 0;
  while (n < ds.length && ds[n]!.ticket === next + n) n++;
  return ds.slice(0, n);
}
