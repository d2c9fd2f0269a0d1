import type { Redis } from 'ioredis';

/**
 * Which Redis server, with which history, an event's state is whole on (meta.server): the server's
 * run_id and its replication id, as lib/event-state.lua's this_server() builds it. The run_id changes
 * with every restart; the replication id with every promotion (a replica shares its primary's until
 * it is promoted, then takes a new one), and when a primary without a replication backlog gains a
 * replica. A run_id alone stays the same on a primary that was demoted, resynced from a replica that
 * lacked its last writes, and promoted back; each of these changes may come with lost writes, so any
 * of them makes every event's state suspect.
 */
export function serverIdentityIn(info: string): string | undefined {
  const runId = /run_id:(\w+)/.exec(info)?.[1];
  const replId = /master_replid:(\w+)/.exec(info)?.[1];
  return runId && replId ? `${runId}/${replId}` : undefined;
}

/** The INFO sections serverIdentityIn reads, asked one by one (INFO takes several only from Redis 7). */
export const IDENTITY_SECTIONS = ['server', 'replication'] as const;

export async function serverIdentity(redis: Redis): Promise<string | undefined> {
  const sections = await Promise.all(IDENTITY_SECTIONS.map((s) => redis.info(s)));
  return serverIdentityIn(sections.join('\n'));
}
