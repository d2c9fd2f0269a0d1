import type { ModelStatic, Sequelize } from 'sequelize';
import { defineEventModel, type EventRow } from './models.ts';

export type EventState = 'draft' | 'open' | 'closed';

export interface EventRecord {
  id: string;
  name: string;
  totalStock: number;
  state: EventState;
  opensAt: Date | null;
  closesAt: Date | null;
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

  constructor(sequelize: Sequelize) {
    this.rows = defineEventModel(sequelize);
  }

  async find(id: string): Promise<EventRecord | null> {
    const row = await this.rows.findByPk(id);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<EventRecord[]> {
    return (await this.rows.findAll({ order: [['created_at', 'ASC']] })).map(toRecord);
  }

  /** Inserts the event unless it exists; returns the stored one either way. */
  async findOrCreate(e: { id: string; name: string; totalStock: number }): Promise<EventRecord> {
    const [row] = await this.rows.findOrCreate({
      where: { id: e.id },
      defaults: { id: e.id, name: e.name, total_stock: e.totalStock, state: 'draft', opens_at: null, closes_at: null },
    });
    return toRecord(row);
  }

  async create(e: { id: string; name: string; totalStock: number; opensAt?: Date | null; closesAt?: Date | null }): Promise<EventRecord> {
    const row = await this.rows.create({
      id: e.id, name: e.name, total_stock: e.totalStock, state: 'draft', opens_at: e.opensAt ?? null, closes_at: e.closesAt ?? null,
    });
    return toRecord(row);
  }

  async update(id: string, patch: Partial<Pick<EventRecord, 'totalStock' | 'state' | 'opensAt' | 'closesAt'>>): Promise<void> {
    const values: Partial<EventRow> = {};
    if (patch.totalStock !== undefined) values.total_stock = patch.totalStock;
    if (patch.state !== undefined) values.state = patch.state;
    if (patch.opensAt !== undefined) values.opens_at = patch.opensAt;
    if (patch.closesAt !== undefined) values.closes_at = patch.closesAt;
    await this.rows.update(values, { where: { id } });
  }
}
