import type { Config } from '../core/config.ts';
import type { VerificationCodes } from '../core/auth/codes.ts';
import type { Tokens } from '../core/auth/tokens.ts';
import type { Applications } from '../core/applications.ts';
import type { Events } from '../core/events/events.ts';
import type { Logger } from '../core/log.ts';
import type { Limits } from '../core/limits.ts';
import type { DecisionFeed } from '../core/decision-feed.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Readiness } from '../core/health.ts';
import type { AuditLog } from '../core/audit/audit-log.ts';
import type { AuditedEvents } from '../core/audit/audited-events.ts';
import type { DeadLetterDesk } from '../core/dlq/dead-letter-desk.ts';

/** What the HTTP edge needs from the core; built by server/process.ts, or by a test. */
export interface ServerDeps {
  config: Config;
  codes: VerificationCodes;
  tokens: Tokens;
  applications: Applications;
  events: Events;
  limits: Limits;
  /** The decisions announced by the consumer, for the result streams. */
  feed: DecisionFeed;
  metrics: Metrics;
  readiness: () => Promise<Readiness>;
  log: Logger;
  /** The operator's changes to events, each recorded in the audit trail. */
  changes: AuditedEvents;
  audit: AuditLog;
  deadLetters: DeadLetterDesk;
}
