import { CostMeter } from '../db/cost-meter';

/** What cost analysis decided for one request, found again by its context object. */
export interface RequestCost {
  /** `requestedQueryCost`. */
  requested: number;
  /** Whether `requested` was reserved from the token's budget (false: refused, charged nothing). */
  reserved: boolean;
  /** What the bucket held after the reservation (or at the refusal). */
  available: number;
  /** Counts `actualQueryCost` while the operation executes. */
  meter: CostMeter;
}

const costs = new WeakMap<object, RequestCost>();

/** The cost of the request whose GraphQL context is `context`; undefined before cost analysis. */
export function requestCostOf(context: object): RequestCost | undefined {
  return costs.get(context);
}

export function startRequestCost(
  context: object,
  requested: number,
  available: number,
): RequestCost {
  const cost: RequestCost = { requested, reserved: false, available, meter: new CostMeter() };
  costs.set(context, cost);
  return cost;
}
