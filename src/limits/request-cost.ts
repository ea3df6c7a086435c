import { CostMeter } from '../db/cost-meter';
import type { TakenAhead } from './cost-budget';

/** What cost analysis decided for one request, found again by its context object. */
export interface RequestCost {
  /** `requestedQueryCost`, `base` included. */
  requested: number;
  /** The points of the request itself (query-cost.ts `requestBase`), in requested and actual. */
  base: number;
  /** Whether `requested` was reserved from the token's budget (false: refused, charged nothing). */
  reserved: boolean;
  /** What the bucket held after the reservation (or at the refusal). */
  available: number;
  /** Counts `actualQueryCost` while the operation executes. */
  meter: CostMeter;
}

const costs = new WeakMap<object, RequestCost>();
const aheads = new WeakMap<object, TakenAhead>();

/**
 * What identifies a request's document for the take ahead (cost-budget.ts `ahead`): its text
 * and the operation named, as sent in a GraphQL request's `query` and `operationName`.
 */
export function documentKey(query: unknown, operationName: unknown): string | undefined {
  if (typeof query !== 'string') {
    return undefined;
  }
  return `${typeof operationName === 'string' ? operationName : ''}\n${query}`;
}

/**
 * The points a request took ahead, if any, found by its `RequestMeta` (the context's `request`):
 * Apollo runs each operation with a shallow copy of the context its context function made.
 */
export function takenAheadOf(request: object): TakenAhead | undefined {
  return aheads.get(request);
}

export function setTakenAhead(request: object, ahead: TakenAhead): void {
  aheads.set(request, ahead);
}

/** `actualQueryCost`: the request's base and what it read while it ran, at least 1. */
export function actualCostOf(cost: RequestCost): number {
  return Math.max(1, cost.base + cost.meter.points);
}

/** The cost of the request whose GraphQL context is `context`; undefined before cost analysis. */
export function requestCostOf(context: object): RequestCost | undefined {
  return costs.get(context);
}

export function startRequestCost(context: object, requested: number, base: number): RequestCost {
  const cost: RequestCost = {
    requested,
    base,
    reserved: false,
    available: 0,
    meter: new CostMeter(),
  };
  costs.set(context, cost);
  return cost;
}
