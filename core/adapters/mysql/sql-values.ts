import { escape, type SqlValue } from 'mysql2';

/**
 * Rows as a VALUES list, escaped here (mysql2's escaping, as the driver's own placeholders): Sequelize's
 * replacements escape value by value in a walk of the whole statement, and a consumer's chunk of 2,000
 * winners is 30,000 values; in a big drop's profile that walk was a tenth of the consumer's work.
 */
export const valuesOf = (rows: SqlValue[][]): string => rows.map((r) => `(${r.map((v) => escape(v)).join(',')})`).join(',');
