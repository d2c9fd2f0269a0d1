import {
  DataTypes,
  Model,
  type Sequelize,
  type InferAttributes,
  type InferCreationAttributes,
  type CreationOptional,
  type ModelStatic,
} from 'sequelize';

export interface EventRow extends Model<InferAttributes<EventRow>, InferCreationAttributes<EventRow>> {
  id: string;
  name: string;
  total_stock: number;
  state: string;
  opens_at: Date | null;
  closes_at: Date | null;
  created_at: CreationOptional<Date>;
  updated_at: CreationOptional<Date>;
}

/**
 * The ORM stays inside core/adapters/mysql: repositories hand plain objects to everyone else. Each Sequelize
 * instance gets its own model, so two pools in one process (a test, the CLI) never share one.
 */
export function defineEventModel(sequelize: Sequelize): ModelStatic<EventRow> {
  return sequelize.define<EventRow>(
    'Event',
    {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      total_stock: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      state: { type: DataTypes.STRING(16), allowNull: false },
      opens_at: { type: DataTypes.DATE(3), allowNull: true },
      closes_at: { type: DataTypes.DATE(3), allowNull: true },
      created_at: DataTypes.DATE(3),
      updated_at: DataTypes.DATE(3),
    },
    { tableName: 'events' },
  );
}
