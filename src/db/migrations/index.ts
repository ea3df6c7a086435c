import { InitialSchema1700000000000 } from './1700000000000-initial-schema';
import { TokenPermission1700000001000 } from './1700000001000-token-permission';
import { StatusData1700000002000 } from './1700000002000-status-data';
import { IdempotencyKeys1700000003000 } from './1700000003000-idempotency-keys';
import { RateLimitCounters1700000004000 } from './1700000004000-rate-limit-counters';
import { AuditEventCount1700000005014 } from './1700000005014-audit-event-count';
import { TokenBoardScope1700000005016 } from './1700000005016-token-board-scope';
import { CostBudgets1700000005300 } from './1700000005300-cost-budgets';
import { CostBudgetTake1700000005400 } from './1700000005400-cost-budget-take';

/** Every migration in order. Never edit one that has shipped; add the next instead. */
export const MIGRATIONS = [
  InitialSchema1700000000000,
  TokenPermission1700000001000,
  StatusData1700000002000,
  IdempotencyKeys1700000003000,
  RateLimitCounters1700000004000,
  AuditEventCount1700000005014,
  TokenBoardScope1700000005016,
  CostBudgets1700000005300,
  CostBudgetTake1700000005400,
];
