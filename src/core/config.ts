import { isIP } from 'node:net';
import { resolve } from 'node:path';

export type DatabaseConfig = { type: 'sqlite'; path: string } | { type: 'postgres'; url: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Every setting of the server and the CLI, validated once at start. */
export interface Config {
  port: number;
  /** The address to listen on (`HOST`); every interface when absent. */
  host?: string;
  database: DatabaseConfig;
  logLevel: LogLevel;
  /** Seconds between two last-use writes of one token on one instance. */
  lastUsedWriteIntervalSeconds: number;
  /** Browser origins allowed to call the API (CORS); none when empty or absent. */
  corsOrigins?: readonly string[];
  /**
   * Proxies (addresses, CIDR ranges, or loopback / linklocal / uniquelocal) whose
   * X-Forwarded-For is believed; none when empty or absent, so the socket's address counts.
   */
  trustedProxies?: readonly string[];
  /** A bearer token `GET /metrics` requires (`METRICS_TOKEN`); open when absent. */
  metricsToken?: string;
  /** Abuse limits; absent settings take `DEFAULT_LIMITS` (the store follows the database). */
  limits?: Partial<LimitsConfig>;
  /** Bounds of the audit log; absent settings take `DEFAULT_AUDIT`. */
  audit?: Partial<AuditConfig>;
}

export interface AuditConfig {
  /** DENIED events one token may cause per minute (per instance) before they are folded. */
  deniedPerMinute: number;
  /** Days an audit event is kept. */
  retentionDays: number;
}

export const DEFAULT_AUDIT: AuditConfig = { deniedPerMinute: 60, retentionDays: 400 };

export type RateLimitStore = 'memory' | 'database';

export interface LimitsConfig {
  /**
   * Points a token's cost budget holds (API.md section 9): no operation may cost more. Shared by
   * every instance with the `database` store.
   */
  costBucketSize: number;
  /** Points a second a token's budget refills. */
  costRestoreRate: number;
  /**
   * Points every request costs besides what it reads (its hot path: authentication, the budget,
   * last use), so a flood of tiny requests is bounded too (README, "Cost and budgets").
   */
  costPerRequest: number;
  /** Failed authentications one client address may cause in a minute before it gets 429. */
  authFailuresPerMinute: number;
  /**
   * Where the counters live: `memory` counts per instance; `database` shares them between
   * instances through PostgreSQL (SQLite serves a single instance, so it has only `memory`).
   */
  store: RateLimitStore;
  /** Milliseconds a query may run before it is answered with 503 QUERY_TIMEOUT. */
  queryTimeoutMs: number;
  /**
   * Cheap queries executing at once per instance in the fair scheduler's cheap lane; more wait
   * their turn (mutations never wait).
   */
  concurrentQueries: number;
  /**
   * Expensive queries executing at once per instance. One by default: a BI page is tens of
   * milliseconds of JavaScript between its statements, and two at once on a 2-core machine
   * keep small requests and mutations waiting on the event loop without more pages answered.
   */
  concurrentExpensiveQueries: number;
  /** A query whose requested cost is at most this many points runs in the cheap lane. */
  cheapQueryCost: number;
}

/**
 * The budget is sized on BI pages (README, "Cost and budgets"): the bucket holds the largest
 * legitimate page (1000 incidents with every field, board, updates, monitors and their boards:
 * 112,557 points requested) and two of the README's pages (52,504 each), but not the review's
 * amplified requests (121,502 and more); it refills at over twice what one client is charged
 * paging such pages back to back (bench/cost-rates.ts: up to ~70,000 points a second on a busy
 * 2-core machine). Every request costs 500 points besides what it reads, so a flood of tiny
 * requests from one token is held to 400 a second, a fraction of what the server answers.
 */
export const DEFAULT_LIMITS: Omit<LimitsConfig, 'store'> = {
  costBucketSize: 120_000,
  costRestoreRate: 200_000,
  costPerRequest: 500,
  authFailuresPerMinute: 60,
  queryTimeoutMs: 30_000,
  concurrentQueries: 2,
  concurrentExpensiveQueries: 2,
  cheapQueryCost: 1000,
};

/** The limits in force: the configured ones over the defaults, the store after the database. */
export function resolveLimits(config: Pick<Config, 'database' | 'limits'>): LimitsConfig {
  const store =
    config.limits?.store ?? (config.database.type === 'postgres' ? 'database' : 'memory');
  if (store === 'database' && config.database.type !== 'postgres') {
    throw new ConfigError(
      'RATE_LIMIT_STORE=database needs a PostgreSQL DATABASE_URL; SQLite serves one instance, use memory.',
    );
  }
  return { ...DEFAULT_LIMITS, ...config.limits, store };
}

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export const DEFAULT_DATABASE_URL = 'sqlite:./data/statusgraph.sqlite';

/** A setting that cannot be used; the process prints the message as one line and exits with 1. */
export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number) {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}.`);
  }
  return Number(raw);
}

/** `sqlite:` + a path taken literally (relative to the working directory), or a PostgreSQL URL. */
export function parseDatabaseUrl(url: string): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') {
      throw new ConfigError(
        'DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/statusgraph.sqlite.',
      );
    }
    return { type: 'sqlite', path: resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError('DATABASE_URL is not a valid postgres:// URL.');
    }
    return { type: 'postgres', url };
  }
  throw new ConfigError('DATABASE_URL must start with sqlite:, postgres:// or postgresql://.');
}

/** `METRICS_TOKEN`: 16–256 visible ASCII characters (a bearer token); empty or absent: open. */
export function parseMetricsToken(raw: string | undefined): string | undefined {
  if (!raw) {
    return undefined;
  }
  if (!/^[\x21-\x7e]{16,256}$/.test(raw)) {
    throw new ConfigError(
      'METRICS_TOKEN must be 16–256 visible characters without spaces (e.g. openssl rand -hex 32), or empty to leave /metrics open.',
    );
  }
  return raw;
}

/** `CORS_ORIGINS`: comma-separated origins such as https://dash.example.com (scheme, host, port). */
export function parseCorsOrigins(raw: string | undefined): string[] {
  const origins = (raw ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== origin) {
      throw new ConfigError(
        'CORS_ORIGINS must be a comma-separated list of origins like https://dash.example.com (no path, no trailing slash).',
      );
    }
  }
  return origins;
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** `TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges of the load balancers in front. */
export function parseTrustedProxies(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const version = isIP(address);
    const prefixOk =
      prefix === undefined ||
      (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 6 ? 128 : 32));
    if (!PROXY_NAMES.includes(entry) && (version === 0 || !prefixOk || extra !== undefined)) {
      throw new ConfigError(
        'TRUSTED_PROXIES must be a comma-separated list of IP addresses, CIDR ranges (10.0.0.0/8) or loopback, linklocal, uniquelocal.',
      );
    }
  }
  return entries;
}

export const DEFAULT_HOST = '0.0.0.0';
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `HOST`: an IP address (0.0.0.0 or :: for every interface) or a host name such as localhost. */
export function parseHost(raw: string | undefined): string {
  const host = raw || DEFAULT_HOST;
  if (isIP(host) === 0 && !HOST_NAME.test(host)) {
    throw new ConfigError(
      'HOST must be an IP address (0.0.0.0 for every interface, 127.0.0.1 for this machine only) or a host name.',
    );
  }
  return host;
}

/**
 * The base URL a person on this machine types to reach the server: the address HOST names, or
 * localhost when HOST is every interface (0.0.0.0, ::). IPv6 addresses are bracketed.
 */
export function localBaseUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `http://${isIP(shown) === 6 ? `[${shown}]` : shown}:${port}`;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);
  }
  const store = env.RATE_LIMIT_STORE || undefined;
  if (store !== undefined && store !== 'memory' && store !== 'database') {
    throw new ConfigError('RATE_LIMIT_STORE must be memory or database.');
  }
  const config: Config = {
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: parseHost(env.HOST),
    database: parseDatabaseUrl(env.DATABASE_URL || DEFAULT_DATABASE_URL),
    logLevel,
    lastUsedWriteIntervalSeconds: integer(env, 'LAST_USED_WRITE_INTERVAL_SECONDS', 60, 0, 86400),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
    trustedProxies: parseTrustedProxies(env.TRUSTED_PROXIES),
    metricsToken: parseMetricsToken(env.METRICS_TOKEN),
    limits: {
      costBucketSize: integer(
        env,
        'COST_BUCKET_SIZE',
        DEFAULT_LIMITS.costBucketSize,
        1,
        1_000_000_000,
      ),
      costRestoreRate: integer(
        env,
        'COST_RESTORE_RATE',
        DEFAULT_LIMITS.costRestoreRate,
        1,
        1_000_000_000,
      ),
      costPerRequest: integer(
        env,
        'COST_PER_REQUEST',
        DEFAULT_LIMITS.costPerRequest,
        1,
        1_000_000_000,
      ),
      authFailuresPerMinute: integer(
        env,
        'AUTH_FAILURES_PER_MINUTE',
        DEFAULT_LIMITS.authFailuresPerMinute,
        1,
        1_000_000_000,
      ),
      queryTimeoutMs: integer(env, 'QUERY_TIMEOUT_MS', DEFAULT_LIMITS.queryTimeoutMs, 1, 3_600_000),
      concurrentQueries: integer(
        env,
        'MAX_CONCURRENT_QUERIES',
        DEFAULT_LIMITS.concurrentQueries,
        1,
        1000,
      ),
      concurrentExpensiveQueries: integer(
        env,
        'MAX_CONCURRENT_EXPENSIVE_QUERIES',
        DEFAULT_LIMITS.concurrentExpensiveQueries,
        1,
        1000,
      ),
      cheapQueryCost: integer(
        env,
        'CHEAP_QUERY_COST',
        DEFAULT_LIMITS.cheapQueryCost,
        1,
        1_000_000_000,
      ),
      ...(store === undefined ? {} : { store }),
    },
    audit: {
      deniedPerMinute: integer(
        env,
        'AUDIT_DENIED_PER_MINUTE',
        DEFAULT_AUDIT.deniedPerMinute,
        0,
        1_000_000,
      ),
      retentionDays: integer(env, 'AUDIT_RETENTION_DAYS', DEFAULT_AUDIT.retentionDays, 1, 36_500),
    },
  };
  resolveLimits(config);
  return config;
}
