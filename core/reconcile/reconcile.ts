import type { Kafka } from 'kafkajs';
import type { Config } from '../config.ts';
import type { Stores } from '../stores.ts';
import { readBacklog } from './kafka-backlog.ts';
import { reportEvent, type EventReport } from './report.ts';
import { fixEvent, type FixResult } from './fix.ts';

export interface Reconciled { report: EventReport; fix?: FixResult; after?: EventReport }

/**
 * `terning reconcile`: compares Redis, MySQL and Kafka for an event and, with fix, rebuilds Redis
 * from MySQL and reports again.
 */
export async function reconcile(config: Config, stores: Stores, kafka: Kafka, eventId: string, opts: { fix?: boolean } = {}): Promise<Reconciled | null> {
  const deps = { redis: stores.redis, prefix: config.redisPrefix, sequelize: stores.sequelize };
  const backlog = () => readBacklog(kafka, config.kafka.applicationsTopic, config.kafka.groupId);
  const report = await reportEvent(deps, eventId, await backlog());
  if (!report) return null;
  if (!opts.fix) return { report };
  const fix = await fixEvent(stores.scripts, stores.restorer, report);
  const after = (await reportEvent(deps, eventId, await backlog()))!;
  return { report, fix, after };
}
