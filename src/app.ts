import type { ContainerType } from 'type-graphql';
import { AuditEventResolver } from './audit/audit-event.resolver';
import { AuditLogService } from './audit/audit-log.service';
import { AuditRetention } from './audit/audit-retention';
import { type Clock, DenialFold } from './audit/denial-fold';
import { Authenticator } from './auth/authenticate';
import { BoardResolver } from './boards/board.resolver';
import { BoardService } from './boards/board.service';
import { IncidentResolver } from './incidents/incident.resolver';
import { IncidentService } from './incidents/incident.service';
import { MonitorResolver, StatusEventResolver } from './monitors/monitor.resolver';
import { MonitorService } from './monitors/monitor.service';
import { type Config, DEFAULT_AUDIT, type LimitsConfig, resolveLimits } from './core/config';
import { createDataSource } from './db/data-source';
import { Database } from './db/database';
import { IdempotencyService } from './idempotency/idempotency.service';
import { RateLimits } from './limits/rate-limits';
import type { Logger } from './core/logger';
import { Metrics } from './core/metrics';
import { OrganizationService } from './organizations/organization.service';
import { ApiTokenResolver } from './tokens/api-token.resolver';
import { ApiTokenService } from './tokens/api-token.service';
import { LastUseRecorder } from './tokens/last-use';
import { ViewerResolver } from './tokens/viewer.resolver';

/** Everything the server and the CLI share, wired once. */
export interface Services {
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
  organizations: OrganizationService;
  authenticator: Authenticator;
  idempotency: IdempotencyService;
  limits: LimitsConfig;
  rateLimits: RateLimits;
}

/** What tests replace: the clock of the audit's per-minute fold and retention purge. */
export interface ServiceOverrides {
  clock?: Clock;
}

/** Opens the database, applies pending migrations and builds the services. */
export async function openServices(
  config: Config,
  logger: Logger,
  overrides: ServiceOverrides = {},
): Promise<Services> {
  const limits = resolveLimits(config);
  const dataSource = createDataSource(config.database);
  await dataSource.initialize();
  // SQLite: reads on a connection of their own, so they never see an uncommitted write.
  const readSource = config.database.type === 'sqlite' ? createDataSource(config.database) : null;
  const db = new Database(dataSource, readSource ?? dataSource);
  try {
    await readSource?.initialize();
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const metrics = new Metrics();
  const lastUse = new LastUseRecorder(db, config.lastUsedWriteIntervalSeconds * 1000, logger, () =>
    metrics.lastUsedWrites.inc(),
  );
  const clock = overrides.clock ?? (() => new Date());
  const auditConfig = { ...DEFAULT_AUDIT, ...config.audit };
  const audit = new AuditLogService(db, new DenialFold(auditConfig.deniedPerMinute, clock));
  const tokens = new ApiTokenService(db, audit, lastUse);
  const boards = new BoardService(db, audit);
  return {
    db,
    logger,
    lastUse,
    metrics,
    audit,
    auditRetention: new AuditRetention(db, auditConfig.retentionDays, clock),
    tokens,
    boards,
    monitors: new MonitorService(db, audit, boards),
    incidents: new IncidentService(db, audit, boards),
    organizations: new OrganizationService(db, tokens, audit),
    authenticator: new Authenticator(tokens, lastUse),
    idempotency: new IdempotencyService(db),
    limits,
    rateLimits: new RateLimits(limits, logger, db.postgresPool),
  };
}

/** Any constant shared by every instance: the key of the migration lock on PostgreSQL. */
const MIGRATION_LOCK_KEY = 7_406_319_012;

/**
 * Runs pending migrations, each in its own transaction. TypeORM takes no lock around them, so
 * on PostgreSQL, where several instances may start at the same moment, a session-level advisory
 * lock makes them take turns: the second finds nothing left to do.
 */
export async function migrate(db: Database): Promise<void> {
  if (db.isSqlite) {
    await db.dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lock = db.dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await db.dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}

/** Names of migrations not yet applied; also proves the database answers. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const applied: { name: string }[] = await db.reader.query('SELECT name FROM migrations');
  const names = new Set(applied.map((row) => row.name));
  return db.dataSource.migrations
    .map((m) => m.name ?? m.constructor.name)
    .filter((name) => !names.has(name));
}

/** Flushes last-use writes, then closes the database. */
export async function closeServices(services: Services): Promise<void> {
  await services.lastUse.flush();
  await services.db.close();
}

/** type-graphql's container: the resolver instances of these services. */
export function resolverContainer(services: Services): ContainerType {
  const instances = new Map<unknown, object>([
    [ViewerResolver, new ViewerResolver()],
    [ApiTokenResolver, new ApiTokenResolver(services.tokens)],
    [BoardResolver, new BoardResolver(services.boards, services.monitors, services.incidents)],
    [MonitorResolver, new MonitorResolver(services.monitors, services.boards)],
    [StatusEventResolver, new StatusEventResolver(services.monitors)],
    [
      IncidentResolver,
      new IncidentResolver(services.incidents, services.boards, services.monitors),
    ],
    [AuditEventResolver, new AuditEventResolver(services.audit)],
  ]);
  return {
    get(resolverClass) {
      const instance = instances.get(resolverClass);
      if (!instance) {
        throw new Error(`No instance for resolver ${String(resolverClass)}`);
      }
      return instance;
    },
  };
}
