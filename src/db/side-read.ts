/**
 * Scalar subqueries that ride along with another statement, so that two reads cost one round
 * trip: each column is `(SELECT …)` with named parameters (`:name`), read back by its alias.
 * Authentication reads an address's failure count along with the token look-up this way.
 */
export interface SideRead {
  /** Alias → a scalar subquery (no surrounding parentheses needed). */
  columns: Record<string, string>;
  parameters: Record<string, unknown>;
}

/** The side read's values, by alias, as the driver returned them. */
export type SideValues = Record<string, unknown>;
