import type { AuditScope } from './audit-scope';
import type { Loaders } from './loaders';
import type { Organization } from '../organizations/organization.entity';
import type { ApiToken } from '../tokens/api-token.entity';
import type { TokenPermission } from '../tokens/token-permission';

/** Where a request came from; never holds the secret. */
export interface RequestMeta {
  id: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Who is acting: the shared vocabulary of resolvers, rules and services. A GraphQL request's
 * context is built once by authentication; the CLI builds one with `token: null`.
 */
export interface Actor {
  organization: Organization;
  /** The authenticated token; null for the command line. */
  token: ApiToken | null;
  permission: TokenPermission;
  request: RequestMeta;
  audit: AuditScope;
  /** The request's DataLoaders (batching of nested fields). */
  loaders: Loaders;
}

/** The GraphQL context of an authenticated request. */
export interface RequestContext extends Actor {
  token: ApiToken;
}
