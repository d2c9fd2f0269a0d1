import { QueryTypes, type Sequelize } from 'sequelize';
import { sqlTime } from './sql-time.ts';

export interface Replay {
  deadLetterId: string;
  eventId: string | null;
  actor: string;
  replayedAt: string;
}

/**
 * Which dead letters went back to the applications topic (dlq_replays). A replay claims its rows
 * first: two operators replaying at once never send the same dead letter twice.
 */
export class ReplayLog {
  constructor(private readonly sequelize: Sequelize) {}

  async replays(topic: string): Promise<Map<string, Replay>> {
    const rows = await this.sequelize.query<{ dead_letter_id: string; event_id: string | null; actor: string; replayed_at: Date }>(
      'SELECT dead_letter_id, event_id, actor, replayed_at FROM dlq_replays WHERE topic = ?',
      { replacements: [topic], type: QueryTypes.SELECT },
    );
    return new Map(
      rows.map((r) => [
        r.dead_letter_id,
        {
          deadLetterId: r.dead_letter_id,
          eventId: r.event_id,
          actor: r.actor,
          replayedAt: new Date(r.replayed_at).toISOString(),
        },
      ]),
    );
  }

  async count(topic: string): Promise<number> {
    const [row] = await this.sequelize.query<{ n: string | number }>('SELECT COUNT(*) AS n FROM dlq_replays WHERE topic = ?', {
      replacements: [topic],
      type: QueryTypes.SELECT,
    });
    return Number(row?.n ?? 0);
  }

  /** Claims the dead letters not claimed yet; returns the ids this call got. */
  async claim(topic: string, letters: { id: string; eventId: string | null }[], actor: string): Promise<string[]> {
    const now = sqlTime(Date.now());
    const got: string[] = [];
    for (const l of letters) {
      const [, affected] = await this.sequelize.query(
        'INSERT IGNORE INTO dlq_replays (topic, dead_letter_id, event_id, actor, replayed_at) VALUES (?, ?, ?, ?, ?)',
        { replacements: [topic, l.id, l.eventId, actor, now], type: QueryTypes.INSERT },
      );
      if (affected === 1) got.push(l.id);
    }
    return got;
  }

  /** Gives claims back when the replay could not be sent, so it can be tried again. */
  async release(topic: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sequelize.query(`DELETE FROM dlq_replays WHERE topic = ? AND dead_letter_id IN (${ids.map(() => '?').join(',')})`, {
      replacements: [topic, ...ids],
    });
  }
}
