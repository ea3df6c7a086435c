import type { AuditScope } from './audit-scope';
import type { Loaders } from './loaders';
import type { TokenPermission } from './permission';

/** Where a request came from; never holds the secret. */
export interface RequestMeta {
  id: string;
  ip: string | null;
  userAgent: string | null;
}

/** The organization acted in, as everyone below tokens/ needs it (organizations/ has the entity). */
export interface ActorOrganization {
  id: string;
  name: string;
}

/** Live board ids a token is limited to (possibly none left), or null: every board. */
export type BoardScope = readonly string[] | null;

/** The token acting, as the audit log and the request log need it (tokens/ has the entity). */
export interface ActorToken {
  id: string;
  name: string;
  prefix: string;
  /** When it stops working, if ever: responses tell the client (Statusgraph-Token-Expiration). */
  expiresAt: Date | null;
}

/**
 * Who is acting: the shared vocabulary of resolvers, rules and services. A GraphQL request's
 * context is built once by authentication; the CLI builds one with `token: null`.
 */
export interface Actor {
  organization: ActorOrganization;
  /** The authenticated token; null for the command line. */
  token: ActorToken | null;
  permission: TokenPermission;
  /**
   * The boards the token is limited to (API.md section 11), or null for an organization-wide
   * token (and the CLI). Services filter every read and change by it through db/board-scope.ts.
   */
  boardScope: BoardScope;
  request: RequestMeta;
  audit: AuditScope;
  /** The request's DataLoaders (batching of nested fields). */
  loaders: Loaders;
}

/** The GraphQL context of an authenticated request. */
export interface RequestContext extends Actor {
  token: ActorToken;
}
