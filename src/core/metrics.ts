import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus metrics of one server. Labels are small fixed sets (operation type, outcome
 * code, failure reason): never a token, an operation name or anything a client chooses.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'statusgraph_http_requests_total',
    help: 'GraphQL requests by operation type and outcome (ok, or the first error code).',
    labelNames: ['operation_type', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly duration = new Histogram({
    name: 'statusgraph_http_request_duration_seconds',
    help: 'Time from receiving a GraphQL request to the end of its response.',
    labelNames: ['operation_type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly authenticationFailures = new Counter({
    name: 'statusgraph_authentication_failures_total',
    help: 'Requests refused with 401, by reason (MISSING, MALFORMED, UNKNOWN, EXPIRED, INACTIVE, REVOKED).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly queryLimitRefusals = new Counter({
    name: 'statusgraph_query_limit_refusals_total',
    help: 'Documents refused before execution by a static limit (aliases, depth, directives, cost).',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'statusgraph_rate_limited_total',
    help: 'Requests refused with 429, by limit (token: requests per token; address: failed authentications).',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly queryTimeouts = new Counter({
    name: 'statusgraph_query_timeouts_total',
    help: 'Queries answered with 503 QUERY_TIMEOUT after running past the limit.',
    registers: [this.registry],
  });

  readonly queuedQueries = new Counter({
    name: 'statusgraph_queued_queries_total',
    help: 'Queries that waited for one of the MAX_CONCURRENT_QUERIES slots before executing.',
    registers: [this.registry],
  });

  readonly lastUsedWrites = new Counter({
    name: 'statusgraph_last_used_writes_total',
    help: 'Database writes of tokens’ last use (at most one per token per interval and instance).',
    registers: [this.registry],
  });

  readonly exports = new Counter({
    name: 'statusgraph_exports_total',
    help: 'Exports (/export/*) by list, format and outcome (complete, client_gone, cut, or the refusal code).',
    labelNames: ['list', 'format', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly exportRows = new Counter({
    name: 'statusgraph_export_rows_total',
    help: 'Rows written by exports, by list and format.',
    labelNames: ['list', 'format'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'statusgraph_' });
  }
}
