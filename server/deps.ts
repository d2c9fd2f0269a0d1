import type { Config } from '../core/platform/config.ts';
import type { VerificationCodes } from '../core/use-cases/sign-in/codes.ts';
import type { Tokens } from '../core/use-cases/sign-in/tokens.ts';
import type { Applications } from '../core/use-cases/participant/apply.ts';
import type { Events } from '../core/use-cases/operator/events.ts';
import type { Logger } from '../core/platform/log.ts';
import type { Limits } from '../core/adapters/redis/limits.ts';
import type { DecisionFeed } from '../core/adapters/redis/decision-feed.ts';
import type { Metrics } from '../core/platform/metrics.ts';
import type { Readiness } from '../core/platform/health.ts';
import type { AuditLog } from '../core/adapters/mysql/audit-log.ts';
import type { AuditedEvents } from '../core/use-cases/operator/audited-events.ts';
import type { ProofKeys } from '../core/adapters/keys/proof-keys.ts';
import type { PublicLog } from '../core/use-cases/proof/public-log.ts';
import type { StockWatch } from '../core/use-cases/participant/stock-watch.ts';
import type { DeadLetterDesk } from '../core/use-cases/operator/dead-letter-desk.ts';

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
  /** The proofs' keys: the signer, and every public key a checker may meet (/.well-known/jwks.json). */
  keys: ProofKeys;
  /** Each event's public log: checkpoints, entries, proofs. */
  publicLog: PublicLog;
  /** The remaining stock pushed to everyone watching an event. */
  stock: StockWatch;
}
