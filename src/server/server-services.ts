import type { AuditRetention } from '../audit/audit-retention';
import type { AuditLogService } from '../audit/audit-log.service';
import type { Clock, Timer } from '../core/clock';
import type { LimitsConfig } from '../core/config';
import type { Logger } from '../core/logger';
import type { Metrics } from '../core/metrics';
import type { Database } from '../db/database';
import type { IdempotencyService } from '../idempotency/idempotency.service';
import type { CostBudget } from '../limits/cost-budget';
import type { FairScheduler } from '../limits/fair-scheduler';
import type { ExportListServices } from './exports/export-lists';
import type { ContextServices } from './request-context';
import type { ResolverContainer } from './schema';

/**
 * What the server needs of the services, declared here so that server/ never imports the
 * composition root: app.ts's Services satisfies it.
 */
export interface ServerServices extends ContextServices {
  /** The query deadline reads it. */
  clock: Clock;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  limits: LimitsConfig;
  audit: AuditLogService;
  auditRetention: AuditRetention;
  idempotency: IdempotencyService;
  costBudget: CostBudget;
  scheduler: FairScheduler;
  /** Arms the stop of a query's statement still running at its deadline. */
  deadlineTimer: Timer;
  /** Bounded waits: an export's refill of a dry budget. */
  timer: Timer;
  /** The lists exports read through. */
  incidents: ExportListServices['incidents'];
  monitors: ExportListServices['monitors'];
  /** The features' resolver classes and instances, which the schema is built from. */
  resolvers: ResolverContainer;
}
