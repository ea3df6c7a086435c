import { CostMeter } from '../db/cost-meter';

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
