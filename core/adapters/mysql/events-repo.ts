import { UniqueConstraintError, type ModelStatic, type Sequelize } from 'sequelize';
import type { EventRecord, EventState } from '../../domain/event.ts';
import { defineEventModel, type EventRow } from './models.ts';

export type EventPatch = Partial<Pick<EventRecord, 'totalStock' | 'state' | 'opensAt' | 'closesAt'>>;

function toValues(patch: EventPatch): Partial<EventRow> {
  const values: Partial<EventRow> = {};
  if (patch.totalStock !== undefined) values.total_stock = patch.totalStock;
  if (patch.state !== undefined) values.state = patch.state;
  if (patch.opensAt !== undefined) values.opens_at = patch.opensAt;
  if (patch.closesAt !== undefined) values.closes_at = patch.closesAt;
  return values;
}

const toRecord = (r: EventRow): EventRecord => ({
  id: r.id,
  name: r.name,
  totalStock: r.total_stock,
  state: r.state as EventState,
  opensAt: r.opens_at,
  closesAt: r.closes_at,
});

export class EventsRepo {
  private readonly rows: ModelStatic<EventRow>;

  constructor(private readonly sequelize: Sequelize) {
    this.rows = defineEventModel(sequelize);
  }

  /**
   * Runs fn with the event's row locked (SELECT ... FOR UPDATE) until fn is done: changes to one event
   * are made one at a time, so Redis and MySQL see them in the same order. Null when there is no event.
   */
  async withLocked<T>(id: string, fn: (e: EventRecord, save: (patch: EventPatch) => Promise<void>) => Promise<T>): Promise<T | null> {
    return this.sequelize.transaction(async (transaction) => {
      const row = await this.rows.findByPk(id, { transaction, lock: transaction.LOCK.UPDATE });
      if (!row) return null;
      return fn(toRecord(row), async (patch) => {
        await this.rows.update(toValues(patch), { where: { id }, transaction });
      });
    });
  }

  async find(id: string): Promise<EventRecord | null> {
    const row = await this.rows.findByPk(id);
    return row ? toRecord(row) : null;
  }

  async ids(): Promise<string[]> {
    return (await this.rows.findAll({ attributes: ['id'], raw: true })).map((r) => r.id);
  }

  async list(): Promise<EventRecord[]> {
    return (await this.rows.findAll({ order: [['created_at', 'ASC']] })).map(toRecord);
  }

  /** Inserts the event unless it exists; returns the stored one either way, and whether it was made now. */
  async findOrCreate(e: { id: string; name: string; totalStock: number }): Promise<{ event: EventRecord; created: boolean }> {
    const [row, created] = await this.rows.findOrCreate({
      where: { id: e.id },
      defaults: { id: e.id, name: e.name, total_stock: e.totalStock, state: 'draft', opens_at: null, closes_at: null },
    });
    return { event: toRecord(row), created };
  }

  /** The new event as a draft; null when an event of that id exists (two creates at once: the second meets the primary key). */
  async create(e: {
    id: string;
    name: string;
    totalStock: number;
    opensAt?: Date | null;
    closesAt?: Date | null;
  }): Promise<EventRecord | null> {
    const row = await this.rows
      .create({
        id: e.id,
        name: e.name,
        total_stock: e.totalStock,
        state: 'draft',
        opens_at: e.opensAt ?? null,
        closes_at: e.closesAt ?? null,
      })
      .catch((err: unknown) => {
        if (err instanceof UniqueConstraintError) return null;
        throw err;
      });
    return row && toRecord(row);
  }

  async update(id: string, patch: EventPatch): Promise<void> {
    await this.rows.update(toValues(patch), { where: { id } });
  }
}
