// Every GraphQL document the console sends, in one place. The fields that only a full-access
// token may read (where a token was last used from, an audit event's address) are asked for only
// with one, through @include, so a read-only session gets no FORBIDDEN for them.

export type Permission = 'FULL_ACCESS' | 'READ_ONLY';
export type Status = 'ACTIVE' | 'INACTIVE' | 'EXPIRED' | 'REVOKED';
export type Outcome = 'SUCCEEDED' | 'DENIED' | 'FAILED';

/** A board as the console names it: in a token's scope, or offered in Add token. */
export interface BoardRef {
  id: string;
  name: string;
}

export interface Token {
  id: string;
  name: string;
  prefix: string;
  permission: Permission;
  suggestedPermission: Permission;
  status: Status;
  active: boolean;
  expiresAt: string | null;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp?: string | null;
  lastUsedUserAgent?: string | null;
  lastWriteAt: string | null;
  /** The boards the token is limited to (API.md section 11); null: every board. */
  boards: BoardRef[] | null;
}

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  outcome: Outcome;
  targetType: string | null;
  targetId: string | null;
  ip?: string | null;
  token: { id: string; name: string; prefix: string } | null;
}

export interface AuditFilter {
  action?: string;
  outcome?: Outcome;
  tokenId?: string;
  targetId?: string;
}

export interface AuditPage {
  nodes: AuditEvent[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface Viewer {
  permission: Permission;
  organization: { name: string };
  token: { id: string; name: string; prefix: string; boards: BoardRef[] | null };
}

const TOKEN_FIELDS = `
  fragment ConsoleToken on ApiToken {
    id name prefix permission suggestedPermission status active expiresAt createdAt revokedAt
    lastUsedAt lastWriteAt boards { id name }
    lastUsedIp @include(if: $full)
    lastUsedUserAgent @include(if: $full)
  }`;

const AUDIT_FIELDS = `
  fragment ConsoleAuditEvent on AuditEvent {
    id at action outcome targetType targetId
    ip @include(if: $full)
    token { id name prefix }
  }`;

export const AUDIT_PAGE_SIZE = 20;
/** One page holds every token an organization plausibly has; the list says so if there are more. */
export const TOKEN_PAGE_SIZE = 200;

export const VIEWER = `query ConsoleViewer {
  viewer { permission organization { name } token { id name prefix boards { id name } } }
}`;

/** The most boards Add token offers (an organization's boards, oldest first). */
export const BOARD_PAGE_SIZE = 1000;

/** The whole page in one request: the tokens, the review, the first page of the audit log. */
export const CONSOLE = `query Console($full: Boolean!, $audit: AuditEventFilter, $tokens: Int!, $events: Int!, $boards: Int!) {
  viewer { permission organization { name } token { id name prefix boards { id name } } }
  boards(first: $boards) { nodes { id name } }
  apiTokens(first: $tokens) { nodes { ...ConsoleToken } pageInfo { hasNextPage } }
  review: apiTokens(first: $tokens, filter: { suggestedReadOnly: true }) { nodes { ...ConsoleToken } }
  auditEvents(first: $events, filter: $audit) { nodes { ...ConsoleAuditEvent } pageInfo { hasNextPage endCursor } }
}
${TOKEN_FIELDS}
${AUDIT_FIELDS}`;

export const AUDIT_EVENTS = `query ConsoleAuditEvents($full: Boolean!, $audit: AuditEventFilter, $events: Int!, $after: String) {
  auditEvents(first: $events, filter: $audit, after: $after) {
    nodes { ...ConsoleAuditEvent } pageInfo { hasNextPage endCursor }
  }
}
${AUDIT_FIELDS}`;

export const CREATE_TOKEN = `mutation ConsoleCreateToken($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret token { id name } }
}`;

export const UPDATE_TOKEN = `mutation ConsoleUpdateToken($id: ID!, $input: UpdateApiTokenInput!) {
  updateApiToken(id: $id, input: $input) { id }
}`;

export const DEACTIVATE_TOKEN = `mutation ConsoleDeactivateToken($id: ID!) {
  deactivateApiToken(id: $id) { id }
}`;

export const ACTIVATE_TOKEN = `mutation ConsoleActivateToken($id: ID!) {
  activateApiToken(id: $id) { id }
}`;

export const REVOKE_TOKEN = `mutation ConsoleRevokeToken($id: ID!) {
  revokeApiToken(id: $id) { id }
}`;

export const ROTATE_TOKEN = `mutation ConsoleRotateToken($id: ID!, $gracePeriodMinutes: Int) {
  rotateApiToken(id: $id, gracePeriodMinutes: $gracePeriodMinutes) { secret token { id name } }
}`;

export interface ConsoleData {
  viewer: Viewer;
  boards: { nodes: BoardRef[] };
  apiTokens: { nodes: Token[]; pageInfo: { hasNextPage: boolean } };
  review: { nodes: Token[] };
  auditEvents: AuditPage;
}

export interface CreatedToken {
  secret: string;
  token: { id: string; name: string };
}
