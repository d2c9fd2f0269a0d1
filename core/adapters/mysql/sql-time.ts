/** A UTC DATETIME(3) literal: Sequelize's own escaping of a Date in a raw query drops the milliseconds. */
export const sqlTime = (t: Date | number) => new Date(t).toISOString().slice(0, 23).replace('T', ' ');
