import { auditFeature } from './audit/audit.feature';
import { AuditLogService } from './audit/audit-log.service';
import { AuditedChanges } from './audit/audited-changes';
import { AuditRetention } from './audit/audit-retention';
import { DenialFold } from './audit/denial-fold';
import { Authenticator } from './auth/authenticate';
import { boardsFeature } from './boards/board.feature';
import { BoardService } from './boards/board.service';
import { type Clock, type Timer, realTimer, systemClock } from './core/clock';
import { type Config, DEFAULT_AUDIT, type LimitsConfig, resolveLimits } from './core/config';
import { type Feature, type ResolverRegistration, resolver } from './core/feature';
import type { Logger } from './core/logger';
import { Metrics } from './core/metrics';
import { type DatabaseMapping, createDataSource } from './db/data-source';
import { Database } from './db/database';
import { migrate } from './db/migrate';
import { MIGRATIONS } from './db/migrations';
import { idempotencyFeature } from './idempotency/idempotency.feature';
import { IdempotencyService } from './idempotency/idempotency.service';
import { incidentsFeature } from './incidents/incident.feature';
import { IncidentService } from './incidents/incident.service';
import { CostResolver } from './limits/cost.resolver';
import { CostBudget, MemoryBudgetStore, PostgresBudgetStore } from './limits/cost-budget';
import { FairScheduler } from './limits/fair-scheduler';
import { RateLimits } from './limits/rate-limits';
import { monitorsFeature } from './monitors/monitor.feature';
import { MonitorService } from './monitors/monitor.service';
import { organizationsFeature } from './organizations/organization.feature';
import { OrganizationService } from './organizations/organization.service';
import type { ResolverContainer } from './server/schema';
import { tokensFeature } from './tokens/api-token.feature';
import type { CreatedToken } from './tokens/api-token.service';
import { ApiTokenService } from './tokens/api-token.service';
import { LastUseRecorder } from './tokens/last-use';

/** Everything the server and the CLI share, wired once. */
export interface Services {
  /** Where the rules that depend on time read it: the system clock, or a test's. */
  clock: Clock;
  db: Database;
  logger: Logger;
  lastUse: LastUseRecorder;
  metrics: Metrics;
  audit: AuditLogService;
  auditRetention: AuditRetention;
  tokens: ApiTokenService;
  boards: BoardService;
  monitors: MonitorService;
  incidents: IncidentService;
  organizations: OrganizationService<CreatedToken>;
  authenticator: Authenticator;
  idempotency: IdempotencyService;
  limits: LimitsConfig;
  rateLimits: RateLimits;
  costBudget: CostBudget;
  scheduler: FairScheduler;
  /** Arms the stop of a query's statement still running at its deadline. */
  deadlineTimer: Timer;
  /** Bounded waits: a query's turn in the scheduler, an export's refill of a dry budget. */
  timer: Timer;
  /** The features' resolvers with their instances, for the schema. */
  resolvers: ResolverContainer;
}

/**
 * Every feature, once, lowest first: the order they may use one another in (eslint.config.mjs
 * keeps it), and the order their hooks are registered and run in.
 */
export const FEATURES: readonly Feature<Services>[] = [
  auditFeature,
  organizationsFeature,
  tokensFeature,
  idempotencyFeature,
  boardsFeature,
  monitorsFeature,
  incidentsFeature,
];

/** What the DataSource maps: the features' tables and db/'s migrations. */
export const DATABASE_MAPPING: DatabaseMapping = {
  entities: FEATURES.flatMap((feature) => feature.entities),
  migrations: MIGRATIONS,
};

/** The features' resolvers and those of the layers above them (the cost budget's queries). */
const RESOLVER_REGISTRATIONS: readonly ResolverRegistration<Services>[] = [
  ...FEATURES.flatMap((feature) => feature.resolvers),
  resolver(
    CostResolver,
    (services) => new CostResolver(services.costBudget, services.limits.costPerRequest),
  ),
];

/** Every resolver class, for the schema. */
export const RESOLVERS = RESOLVER_REGISTRATIONS.map((registration) => registration.type);

/** Type names an audit event may target, from the features' registrations. */
export const AUDIT_TARGET_TYPES = FEATURES.flatMap((feature) => feature.auditTargets);

/** What tests (and the bench) may substitute; a deployment always takes the defaults. */
export interface ServiceOptions {
  /**
   * The clock of last-use writes, idempotency keys, budgets, deadlines, the audit's per-minute
   * fold and its retention purge: tests move it.
   */
  clock?: Clock;
  /** The timer of bounded waits (scheduler turns, a dry export's refill): tests fire it. */
  timer?: Timer;
  /** The timer of query deadlines at each statement: tests fire it instead of waiting. */
  deadlineTimer?: Timer;
}

/** Opens the database, applies pending migrations and builds the services. */
export async function openServices(
  config: Config,
  logger: Logger,
  { clock = systemClock, timer = realTimer, deadlineTimer = realTimer }: ServiceOptions = {},
): Promise<Services> {
  const limits = resolveLimits(config);
  const dataSource = createDataSource(config.database, DATABASE_MAPPING);
  await dataSource.initialize();
  // SQLite: reads on a connection of their own, so they never see an uncommitted write.
  const readSource =
    config.database.type === 'sqlite' ? createDataSource(config.database, DATABASE_MAPPING) : null;
  const db = new Database(dataSource, readSource ?? dataSource);
  try {
    await readSource?.initialize();
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const metrics = new Metrics();
  const lastUse = new LastUseRecorder(
    db,
    config.lastUsedWriteIntervalSeconds * 1000,
    logger,
    () => metrics.lastUsedWrites.inc(),
    clock,
  );
  const auditConfig = { ...DEFAULT_AUDIT, ...config.audit };
  const audit = new AuditLogService(
    db,
    AUDIT_TARGET_TYPES,
    new DenialFold(auditConfig.deniedPerMinute, clock),
  );
  const changes = new AuditedChanges(db, audit);
  const tokens = new ApiTokenService(db, changes, lastUse, clock);
  const boards = new BoardService(db, changes);
  const services: Services = {
    clock,
    db,
    logger,
    lastUse,
    metrics,
    audit,
    auditRetention: new AuditRetention(db, auditConfig.retentionDays, clock),
    tokens,
    boards,
    monitors: new MonitorService(db, changes, boards),
    incidents: new IncidentService(db, changes, boards),
    organizations: new OrganizationService(db, audit, (manager, organization) =>
      tokens.insertFirst(manager, organization.id),
    ),
    authenticator: new Authenticator(tokens, lastUse, clock),
    idempotency: new IdempotencyService(db, undefined, clock),
    limits,
    rateLimits: new RateLimits(limits, logger, db.postgresPool),
    costBudget: costBudget(limits, logger, db, clock),
    scheduler: new FairScheduler(
      {
        slots: limits.concurrentQueries,
        expensiveSlots: limits.concurrentExpensiveQueries,
        cheapCost: limits.cheapQueryCost,
        maxWaitMs: limits.queryTimeoutMs,
      },
      timer,
    ),
    deadlineTimer,
    timer,
    resolvers: lazyContainer(() => services),
  };
  for (const feature of FEATURES) {
    feature.connect?.(services);
  }
  return services;
}

/** The budgets: one per token in this process on SQLite, shared through the database on PostgreSQL. */
function costBudget(limits: LimitsConfig, logger: Logger, db: Database, clock: Clock): CostBudget {
  const settings = { size: limits.costBucketSize, restoreRate: limits.costRestoreRate };
  const pool = db.postgresPool;
  const store =
    limits.store === 'database' && pool
      ? new PostgresBudgetStore(settings, pool)
      : new MemoryBudgetStore(settings);
  return new CostBudget(settings, store, logger, clock);
}

/** Flushes last-use writes and carried budget give-backs, then closes the database. */
export async function closeServices(services: Services): Promise<void> {
  await services.lastUse.flush();
  await services.costBudget.flush();
  await services.db.close();
}

/** type-graphql's container: the resolver classes and their instances. */
export function resolverContainer(services: Services): ResolverContainer {
  return lazyContainer(() => services);
}

// Instances are built at the first look-up, so that the services can hold their own container.
function lazyContainer(servicesOf: () => Services): ResolverContainer {
  let instances: Map<unknown, object> | undefined;
  return {
    resolvers: RESOLVERS,
    get(resolverClass) {
      instances ??= new Map(RESOLVER_REGISTRATIONS.map((r) => [r.type, r.build(servicesOf())]));
      const instance = instances.get(resolverClass);
      if (!instance) {
        throw new Error(`No instance for resolver ${String(resolverClass)}`);
      }
      return instance;
    },
  };
}
