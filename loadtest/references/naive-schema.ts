import type { Pool } from 'mysql2/promise';

/** The naive design's two tables, in the bench database, and a fresh event with its stock. */
export async function prepareNaive(pool: Pool, eventId: string, stock: number): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS naive_stock (
    event_id VARCHAR(64) PRIMARY KEY, remaining INT NOT NULL) ENGINE=InnoDB`);
  await pool.query(`CREATE TABLE IF NOT EXISTS naive_applications (
    id BIGINT AUTO_INCREMENT PRIMARY KEY, event_id VARCHAR(64) NOT NULL, email VARCHAR(254) NOT NULL,
    status VARCHAR(8) NOT NULL, created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY naive_event_email (event_id, email)) ENGINE=InnoDB`);
  await pool.query('INSERT INTO naive_stock (event_id, remaining) VALUES (?, ?)', [eventId, stock]);
}
