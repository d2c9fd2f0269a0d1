import { BaseError as SequelizeError, ConnectionError, TimeoutError } from 'sequelize';
import { StockStateMissing } from '../domain/errors.ts';

const REDIS_OUTAGE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|MaxRetriesPerRequest|Stream isn't writeable|LOADING|READONLY|CLUSTERDOWN|OOM command not allowed|BUSY|MASTERDOWN|TRYAGAIN|NOREPLICAS/i;
const MYSQL_OUTAGE = /ECONN|ETIMEDOUT|EPIPE|PROTOCOL_CONNECTION_LOST|closed state|Deadlock|Lock wait|read-only|ER_OPTION_PREVENTS_STATEMENT|ER_CON_COUNT_ERROR|Too many connections/i;

/**
 * An outage: Redis or MySQL unreachable, full, read-only or failing over, or Redis state missing. It is
 * waited out (the consumers retry; the API answers 503 with Retry-After), never blamed on the request
 * or the message: dead-lettering an application because Redis was full would be wrong.
 */
export function isOutage(e: unknown): boolean {
  if (e instanceof ConnectionError || e instanceof TimeoutError || e instanceof StockStateMissing) return true;
  const msg = e instanceof Error ? `${e.name} ${e.message} ${(e as { code?: string }).code ?? ''}` : String(e);
  if (e instanceof SequelizeError) return MYSQL_OUTAGE.test(`${msg} ${(e as { original?: { code?: string } }).original?.code ?? ''}`);
  return REDIS_OUTAGE.test(msg);
}
