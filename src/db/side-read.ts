/**
 * Scalar subqueries that ride along with another statement, so that two reads cost one round
 * trip: each column is `(SELECT …)` with named parameters (`:name`), read back by its alias.
 * Authentication reads an address's failure count along with the token look-up this way, and
 * takes a request's cost points (a function call that writes: limits/cost-budget.ts).
 */
export interface SideRead {
  /** Alias → a scalar subquery (no surrounding parentheses needed). */
  columns: Record<string, string>;
  parameters: Record<string, unknown>;
}

/** The side read's values, by alias, as the driver returned them. */
export type SideValues = Record<string, unknown>;

/** Two side reads as one (their aliases and parameter names are distinct), or none. */
export function sideReadsTogether(...reads: (SideRead | null | undefined)[]): SideRead | undefined {
  const present = reads.filter((read): read is SideRead => read !== null && read !== undefined);
  if (present.length <= 1) {
    return present[0];
  }
  return {
    columns: Object.assign({}, ...present.map((read) => read.columns)),
    parameters: Object.assign({}, ...present.map((read) => read.parameters)),
  };
}
