import { randomUUID } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import type { Scripts } from '../redis/scripts.ts';
import { MysqlState } from './mysql-state.ts';

export interface RestoreResult {
  /** false: the stock was there already (another process restored it first); nothing recounted. */
  restored: boolean;
  decisions: number;
  /** Decisions that were missing from Redis or differed there. */
  changed: number;
  remaining: number;
  winners: number;
}

export class UnknownEvent extends Error {
  constructor(readonly eventId: string) {
    super(`event ${eventId} is not in MySQL`);
  }
}

/**
 * Rebuilds an event's Redis state from MySQL, the source of truth: its decisions and gate entries in
 * chunks (one atomic script each), then its settings, the remaining stock recounted from the decisions,
 * and the ticket sequence (one more script). While the chunks go in, the stock key stays missing, so
 * no decision is made against a half-restored state. One restore per event at a time in a process.
 */
export class Restorer {
  private readonly running = new Map<string, Promise<RestoreResult>>();
  private readonly mysql: MysqlState;

  constructor(sequelize: Sequelize, private readonly scripts: Scripts, private readonly chunkSize = 2_000) {
    this.mysql = new MysqlState(sequelize);
  }

  /**
   * mode "missing" (Redis lost its data): does nothing if the stock is back by the end; "always"
   * (reconcile --fix): recounts in any case. maxTicket: the highest ticket seen outside MySQL.
   */
  restore(eventId: string, opts: { mode?: 'missing' | 'always'; maxTicket?: number } = {}): Promise<RestoreResult> {
    const running = this.running.get(eventId);
    if (running) return running;
    const attempt = this.run(eventId, opts.mode ?? 'missing', opts.maxTicket ?? 0).finally(() => this.running.delete(eventId));
    this.running.set(eventId, attempt);
    return attempt;
  }

  private async run(eventId: string, mode: 'missing' | 'always', maxTicketSeen: number): Promise<RestoreResult> {
    const event = await this.mysql.event(eventId);
    if (!event) throw new UnknownEvent(eventId);
    let decisions = 0;
    let changed = 0;
    let maxTicket = maxTicketSeen;
    for await (const page of this.mysql.decisions(eventId, this.chunkSize)) {
      changed += await this.scripts.restoreDecisions(eventId, page);
      decisions += page.length;
      for (const d of page) if (d.ticket > maxTicket) maxTicket = d.ticket;
    }
    const done = await this.scripts.restoreEvent(eventId, {
      state: event.state,
      opensAt: event.opensAt,
      closesAt: event.closesAt,
      total: event.totalStock,
      maxTicket,
      epoch: randomUUID(),
      mode,
    });
    return { restored: done.restored, decisions, changed, remaining: done.remaining, winners: done.winners };
  }
}
