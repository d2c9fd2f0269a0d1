import type { EventSnapshot } from '../../domain/event.ts';
import type { Events } from './events.ts';
import type { AuditLog } from '../../adapters/mysql/audit-log.ts';

/** Who asks for a change, as the admin API knows it. */
export interface Caller {
  actor: string;
  requestId?: string;
}

const schedule = (e: EventSnapshot) => ({ state: e.state, opensAt: e.opensAt, closesAt: e.closesAt });

/**
 * The operator's changes to events, each recorded in the audit trail once it has taken effect. A
 * refused change (a 404, a 409 STOCK_BELOW_WINNERS) throws before anything is recorded.
 */
export class AuditedEvents {
  constructor(
    private readonly events: Events,
    private readonly audit: AuditLog,
  ) {}

  async create(by: Caller, e: { id: string; name: string; totalStock: number; opensAt?: Date; closesAt?: Date }): Promise<EventSnapshot> {
    await this.events.create({ id: e.id, name: e.name, totalStock: 0, opensAt: e.opensAt, closesAt: e.closesAt });
    const created = e.totalStock > 0 ? await this.events.setStock(e.id, e.totalStock) : await this.events.snapshot(e.id);
    await this.record(by, 'event.create', e.id, null, { name: created.name, totalStock: created.totalStock, ...schedule(created) });
    return created;
  }

  async setStock(by: Caller, id: string, count: number): Promise<EventSnapshot> {
    const before = await this.events.snapshot(id);
    const after = await this.events.setStock(id, count);
    await this.record(by, 'stock.set', id, { totalStock: before.totalStock }, { totalStock: after.totalStock });
    return after;
  }

  async open(by: Caller, id: string, at?: Date): Promise<EventSnapshot> {
    const before = await this.events.snapshot(id);
    const after = await this.events.open(id, at);
    await this.record(by, 'event.open', id, schedule(before), schedule(after));
    return after;
  }

  async close(by: Caller, id: string, at?: Date): Promise<EventSnapshot> {
    const before = await this.events.snapshot(id);
    const after = await this.events.close(id, at);
    await this.record(by, 'event.close', id, schedule(before), schedule(after));
    return after;
  }

  private record(
    by: Caller,
    action: 'event.create' | 'stock.set' | 'event.open' | 'event.close',
    eventId: string,
    from: unknown,
    to: unknown,
  ) {
    return this.audit.record({ actor: by.actor, action, eventId, from, to, requestId: by.requestId ?? null });
  }
}
