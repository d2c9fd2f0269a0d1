import { DataTypes, Model, type Sequelize, type InferAttributes, type InferCreationAttributes, type CreationOptional } from 'sequelize';

export class EventRow extends Model<InferAttributes<EventRow>, InferCreationAttributes<EventRow>> {
  declare id: string;
  declare name: string;
  declare total_stock: number;
  declare state: string;
  declare opens_at: Date | null;
  declare closes_at: Date | null;
  declare created_at: CreationOptional<Date>;
  declare updated_at: CreationOptional<Date>;
}

/** The ORM stays inside core/db: repositories hand plain objects to everyone else. */
export function defineModels(sequelize: Sequelize) {
  EventRow.init(
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
    { sequelize, tableName: 'events', modelName: 'Event' },
  );
  return { EventRow };
}
