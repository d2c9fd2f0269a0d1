import { BaseError as SequelizeError, ConnectionError, TimeoutError } from 'sequelize';
import { StockStateMissing } from '../core/redis/scripts.ts';

/**
 * An outage (MySQL or Redis unreachable, Redis state missing) is waited out: retrying is right and
 * dead-lettering would be wrong. Anything else is suspected to be the message's fault.
 */
export function isOutage(e: unknown): boolean {
  if (e instanceof ConnectionError || e instanceof TimeoutError || e instanceof StockStateMissing) return true;
  if (e instanceof SequelizeError && /ECONN|ETIMEDOUT|EPIPE|PROTOCOL_CONNECTION_LOST|closed state|Deadlock|Lock wait/i.test(e.message)) return true;
  const msg = e instanceof Error ? `${e.name} ${e.message}` : String(e);
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|MaxRetriesPerRequest|Stream isn't writeable|LOADING|READONLY|CLUSTERDOWN/i.test(msg);
}

export const backoffMs = (attempt: number, base = 1_000, cap = 30_000) => Math.min(cap, base * 2 ** attempt);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
