import { randomUUID } from 'node:crypto';
import { type EntityManager, In } from 'typeorm';
import type { AuditedChanges } from '../audit/audited-changes';
import { type Clock, systemClock } from '../core/clock';
import type { Actor } from '../core/context';
import type { Database } from '../db/database';
import type { SideRead, SideValues } from '../db/side-read';
import { type Page, type PageArgs, paginate } from '../db/pagination';
import { UserInputError } from '../core/errors';
import { Organization } from '../organizations/organization.entity';
import { checkName } from '../core/validation';
import {
  ApiToken,
  SUGGEST_READ_ONLY_AFTER_MS,
  suggestedPermission,
  tokenStatus,
} from './api-token.entity';
import { ApiTokenBoard } from './api-token-board.entity';
import {
  type ApiTokenFilter,
  type CreateApiTokenInput,
  GRACE_PERIOD,
  type UpdateApiTokenInput,
} from './api-token.inputs';
import type { LastUseRecorder } from './last-use';
import { expiresWithinHorizon, guardLastFullAccess } from './lockout-guard';
import { SecretLookup } from './secret-lookup';
import { displayPrefix, generateSecret, hashSecret, isHashOf } from './secret';
import type { ApiTokenStatus } from './token-permission';
import { TokenPermission } from './token-permission';

export interface CreatedToken {
  token: ApiToken;
  secret: string;
}

const TARGET = 'ApiToken';

/** The most boards one token may be limited to. */
export const MAX_SCOPE_BOARDS = 1000;

/**
 * Checks, in the change's transaction, that every id is a live board of the organization
 * (NOT_FOUND otherwise), locking them against a concurrent deletion; boards/ registers it.
 */
export type ScopeBoardsCheck = (
  manager: EntityManager,
  organizationId: string,
  boardIds: string[],
) => Promise<void>;

/** The token lifecycle: create, change, switch off and on, rotate, revoke; all organization-scoped. */
export class ApiTokenService {
  private checkScopeBoards: ScopeBoardsCheck = async () => {
    throw new Error('Board-scoped tokens need boards/ to register checkScopeBoardsWith().');
  };

  private readonly secretLookup: SecretLookup;

  constructor(
    private readonly db: Database,
    private readonly changes: AuditedChanges,
    private readonly lastUse: LastUseRecorder,
    // The rules that depend on time (expiry, a rotation's grace period) read it; tests move it.
    private readonly clock: Clock = systemClock,
  ) {
    this.secretLookup = new SecretLookup(db);
  }

  /**
   * The token a secret belongs to, with its organization (and a board-scoped token's boards), in
   * one indexed statement written once (secret-lookup.ts); or the token whose previous secret it
   * is, within a rotation's grace period (asked only when the first misses: an OR of the two
   * costs every request half as much again on SQLite). `alongside` is
   * read in the same statement; its values come back with the row that was found (none: none).
   */
  async findBySecret(
    secret: string,
    alongside?: SideRead,
  ): Promise<{ token: ApiToken | null; alongside?: SideValues }> {
    return this.findByHash(hashSecret(secret), alongside);
  }

  /** `findBySecret` by the secret's hash (authentication hashes it once for its own use too). */
  async findByHash(
    hash: string,
    alongside?: SideRead,
  ): Promise<{ token: ApiToken | null; alongside?: SideValues }> {
    const byHash = (column: 'secretHash' | 'previousSecretHash') =>
      this.secretLookup.find(column, hash, alongside);
    const current = await byHash('secretHash');
    if (current.token && isHashOf(current.token.secretHash, hash)) {
      return current;
    }
    const previous = await byHash('previousSecretHash');
    const token = previous.token;
    const graceEnds = token?.previousSecretExpiresAt;
    return token &&
      isHashOf(token.previousSecretHash, hash) &&
      graceEnds &&
      graceEnds.getTime() > this.clock.now().getTime()
      ? previous
      : { token: null, alongside: previous.alongside ?? current.alongside };
  }

  /** The token's status now, by the services' clock. */
  statusOf(token: ApiToken): ApiTokenStatus {
    return tokenStatus(token, this.clock.now());
  }

  /** The permission suggested for the token now, by the services' clock. */
  suggestedPermissionOf(token: ApiToken): TokenPermission {
    return suggestedPermission(token, this.clock.now());
  }

  /** Registers how the boards of a scope are checked (boards/ stands above tokens/). */
  checkScopeBoardsWith(check: ScopeBoardsCheck): void {
    this.checkScopeBoards = check;
  }

  /**
   * The board ids a token is limited to, or null when it is organization-wide; batched per
   * request (`ApiToken.boards` of a page of tokens costs one query).
   */
  async scopeOf(actor: Actor, token: ApiToken): Promise<string[] | null> {
    if (!token.boardScoped) {
      return null;
    }
    return actor.loaders
      .get<string[]>(
        'apiToken.scope',
        async (tokenIds) => {
          const links = await this.db.reader.find(ApiTokenBoard, {
            where: { tokenId: In([...tokenIds]) },
          });
          const byToken = new Map<string, string[]>();
          for (const link of links) {
            byToken.set(link.tokenId, [...(byToken.get(link.tokenId) ?? []), link.boardId]);
          }
          return byToken;
        },
        [],
      )
      .load(token.id);
  }

  /** Takes deleted boards out of every scope (a board hook): a scope never widens by it. */
  async removeBoardFromScopes(manager: EntityManager, boardId: string): Promise<void> {
    await manager.delete(ApiTokenBoard, { boardId });
  }

  /**
   * One token of the actor's organization, or null for any other string. A board-scoped token
   * reads only itself (API.md section 11): another token's id is unknown to it.
   */
  async get(actor: Actor, id: string): Promise<ApiToken | null> {
    if (actor.boardScope !== null && id !== actor.token?.id) {
      return null;
    }
    const token = await this.db.reader.findOneBy(ApiToken, {
      id,
      organizationId: actor.organization.id,
    });
    return token && this.lastUse.apply(token);
  }

  /** Every token of an organization, oldest first: for the command line. */
  listAll(organizationId: string): Promise<ApiToken[]> {
    return this.db.reader.find(ApiToken, {
      where: { organizationId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** A token by id in any organization: only the command line, which acts for the operator. */
  findAnywhere(id: string): Promise<ApiToken | null> {
    return this.db.reader.findOneBy(ApiToken, { id });
  }

  /** Oldest first, by `(createdAt, id)`. */
  async list(
    actor: Actor,
    filter: ApiTokenFilter | undefined,
    page: PageArgs,
  ): Promise<Page<ApiToken>> {
    const now = this.clock.now();
    const query = this.db.reader
      .createQueryBuilder(ApiToken, 't')
      .where('t.organizationId = :org', { org: actor.organization.id })
      .setParameter('now', this.db.timestamp(now));
    if (filter?.permission) {
      query.andWhere('t.permission = :permission', { permission: filter.permission });
    }
    if (filter?.expiresBefore) {
      query.andWhere('t.expiresAt < :expiresBefore', {
        expiresBefore: this.db.timestamp(filter.expiresBefore),
      });
    }
    if (filter?.status) {
      query.andWhere(STATUS_SQL[filter.status]);
    }
    if (typeof filter?.suggestedReadOnly === 'boolean') {
      const cutoff = this.db.timestamp(new Date(now.getTime() - SUGGEST_READ_ONLY_AFTER_MS));
      const idleWriter = `(t.permission = 'FULL_ACCESS' AND t.createdAt < :cutoff AND (t.lastWriteAt IS NULL OR t.lastWriteAt < :cutoff))`;
      query.andWhere(filter.suggestedReadOnly ? idleWriter : `NOT ${idleWriter}`, { cutoff });
    }
    const page_ = await paginate(
      this.db,
      query,
      { list: 'apiTokens', sortBy: 'createdAt', kind: 'timestamp', direction: 'ASC' },
      page,
    );
    page_.nodes.forEach((token) => this.lastUse.apply(token));
    return page_;
  }

  /** A new token in the actor's organization with its secret (shown once), audited. */
  async create(actor: Actor, input: CreateApiTokenInput): Promise<CreatedToken> {
    return this.changes.record(
      actor,
      TARGET,
      (manager) => this.insert(manager, actor.organization.id, input),
      (created) => created.token.id,
    );
  }

  /**
   * Creates a token in an organization without auditing it: for the organization's first token
   * (bootstrap and `statusgraph org create`), whose creation is the organization's own audit event.
   */
  async insert(
    manager: EntityManager,
    organizationId: string,
    input: CreateApiTokenInput,
  ): Promise<CreatedToken> {
    checkName(input.name);
    if (!Object.values(TokenPermission).includes(input.permission)) {
      throw new UserInputError('permission must be FULL_ACCESS or READ_ONLY.', 'permission');
    }
    checkFuture(input.expiresAt, this.clock.now());
    const boardIds = checkScope(input.boardIds);
    const secret = generateSecret();
    const token = Object.assign(new ApiToken(), {
      id: randomUUID(),
      organizationId,
      name: input.name,
      permission: input.permission,
      prefix: displayPrefix(secret),
      secretHash: hashSecret(secret),
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      active: true,
      expiresAt: input.expiresAt ?? null,
      createdAt: new Date(),
      revokedAt: null,
      lastUsedAt: null,
      lastUsedIp: null,
      lastUsedUserAgent: null,
      lastWriteAt: null,
      boardScoped: boardIds !== null,
    });
    await manager.insert(ApiToken, token);
    await this.setScope(manager, token, boardIds);
    return { token, secret };
  }

  /** An organization's first token: full access, created with the organization, not audited. */
  insertFirst(manager: EntityManager, organizationId: string): Promise<CreatedToken> {
    return this.insert(manager, organizationId, {
      name: 'First full-access token',
      permission: TokenPermission.FULL_ACCESS,
    });
  }

  /** Moves the acting token's `lastWriteAt` with each change it makes (an audit hook). */
  async stampLastWrite(manager: EntityManager, actor: Actor, at: Date): Promise<void> {
    if (actor.token !== null) {
      await manager.update(ApiToken, { id: actor.token.id }, { lastWriteAt: at });
    }
  }

  /** Renames, re-permissions or re-dates a token, audited; never the last full-access one away. */
  update(actor: Actor, id: string, input: UpdateApiTokenInput): Promise<ApiToken> {
    return this.change(actor, id, async (token, manager) => {
      assertNotRevoked(token, 'updated');
      if (input.name !== undefined && input.name !== null) {
        checkName(input.name);
        token.name = input.name;
      }
      if (input.expiresAt !== undefined) {
        checkFuture(input.expiresAt, this.clock.now());
        if (expiresWithinHorizon(input.expiresAt ?? null, this.clock.now())) {
          await this.guardLastFullAccess(manager, actor, token, 'set to expire within 24 hours');
        }
        token.expiresAt = input.expiresAt;
      }
      if (input.permission && input.permission !== token.permission) {
        await this.guardLastFullAccess(manager, actor, token, 'downgraded to READ_ONLY');
        token.permission = input.permission;
      }
      if (input.boardIds !== undefined) {
        const boardIds = checkScope(input.boardIds);
        if (boardIds !== null) {
          await this.guardLastFullAccess(manager, actor, token, 'limited to some boards');
        }
        await manager.delete(ApiTokenBoard, { tokenId: token.id });
        token.boardScoped = boardIds !== null;
        await this.setScope(manager, token, boardIds);
      }
    });
  }

  /** Links a token to the boards of its scope, after checking they are the organization's. */
  private async setScope(
    manager: EntityManager,
    token: ApiToken,
    boardIds: string[] | null,
  ): Promise<void> {
    if (boardIds === null) {
      return;
    }
    await this.checkScopeBoards(manager, token.organizationId, boardIds);
    await manager.insert(
      ApiTokenBoard,
      boardIds.map((boardId) => ({ tokenId: token.id, boardId })),
    );
  }

  /** Switches a token off (reversible), audited. */
  deactivate(actor: Actor, id: string): Promise<ApiToken> {
    return this.change(actor, id, async (token, manager) => {
      assertNotRevoked(token, 'deactivated');
      await this.guardLastFullAccess(manager, actor, token, 'deactivated');
      token.active = false;
    });
  }

  /** Switches a token on again, audited. */
  activate(actor: Actor, id: string): Promise<ApiToken> {
    return this.change(actor, id, async (token) => {
      assertNotRevoked(token, 'reactivated');
      token.active = true;
    });
  }

  /** Revokes a token for good, audited. */
  revoke(actor: Actor, id: string): Promise<ApiToken> {
    return this.change(actor, id, async (token, manager) => {
      assertNotRevoked(token, 'revoked again');
      await this.guardLastFullAccess(manager, actor, token, 'revoked');
      // The secret of a rotation's grace period stays known, so that it too reports REVOKED.
      token.revokedAt = this.clock.now();
    });
  }

  /** A new secret for the token (the old one works for the grace period), audited. */
  async rotate(
    actor: Actor,
    id: string,
    gracePeriodMinutes: number | null | undefined,
  ): Promise<CreatedToken> {
    const minutes = gracePeriodMinutes ?? 0;
    if (!Number.isInteger(minutes) || minutes < GRACE_PERIOD.min || minutes > GRACE_PERIOD.max) {
      throw new UserInputError(
        `gracePeriodMinutes must be from ${GRACE_PERIOD.min} to ${GRACE_PERIOD.max}.`,
        'gracePeriodMinutes',
      );
    }
    const secret = generateSecret();
    const token = await this.change(actor, id, async (token) => {
      assertNotRevoked(token, 'rotated');
      // Only the secret just replaced keeps working during the grace period; one rotated earlier
      // stops now.
      token.previousSecretHash = minutes > 0 ? token.secretHash : null;
      token.previousSecretExpiresAt =
        minutes > 0 ? new Date(this.clock.now().getTime() + minutes * 60_000) : null;
      token.secretHash = hashSecret(secret);
      token.prefix = displayPrefix(secret);
    });
    return { token, secret };
  }

  /** Loads the token in a write transaction, applies `edit`, saves it and audits the success. */
  private change(
    actor: Actor,
    id: string,
    edit: (token: ApiToken, manager: EntityManager) => Promise<void>,
  ): Promise<ApiToken> {
    const where = { id, organizationId: actor.organization.id };
    // Tokens have no updatedAt; their organization is locked before the token is read.
    const before = (manager: EntityManager) => this.lockOrganization(manager, actor);
    return this.changes
      .change(actor, { type: TARGET, entity: ApiToken, where, before, stamp: false }, edit)
      .then((token) => this.lastUse.apply(token));
  }

  /**
   * Serializes token changes per organization. SQLite needs nothing more (its writes are queued);
   * PostgreSQL locks the organization's row, since locking token rows alone allows write skew
   * (two requests each downgrading one of the last two full-access tokens).
   */
  private async lockOrganization(manager: EntityManager, actor: Actor): Promise<void> {
    if (!this.db.isSqlite) {
      await manager.findOne(Organization, {
        where: { id: actor.organization.id },
        ...this.db.forUpdate,
      });
    }
  }

  /** Nobody locks their organization out: the last usable FULL_ACCESS token stays usable. */
  private guardLastFullAccess(
    manager: EntityManager,
    _actor: Actor,
    token: ApiToken,
    change: string,
  ): Promise<void> {
    return guardLastFullAccess(this.db, manager, token, change, this.clock.now());
  }
}

/** ApiTokenStatus as SQL over alias `t` and parameter `:now`, mirroring tokenStatus(). */
const STATUS_SQL: Record<ApiTokenStatus, string> = {
  REVOKED: 't.revokedAt IS NOT NULL',
  EXPIRED: 't.revokedAt IS NULL AND t.expiresAt IS NOT NULL AND t.expiresAt <= :now',
  INACTIVE:
    't.revokedAt IS NULL AND (t.expiresAt IS NULL OR t.expiresAt > :now) AND t.active = FALSE',
  ACTIVE: 't.revokedAt IS NULL AND (t.expiresAt IS NULL OR t.expiresAt > :now) AND t.active = TRUE',
};

function assertNotRevoked(token: ApiToken, verb: string): void {
  if (token.revokedAt !== null) {
    throw new UserInputError(
      `This token was revoked and cannot be ${verb}; revocation is permanent. Create a new token instead.`,
      'id',
    );
  }
}

/** The boards of a scope, without repeats; null: every board. An empty list is a mistake. */
function checkScope(boardIds: readonly string[] | null | undefined): string[] | null {
  if (boardIds === undefined || boardIds === null) {
    return null;
  }
  const unique = [...new Set(boardIds)];
  if (unique.length === 0 || unique.length > MAX_SCOPE_BOARDS) {
    throw new UserInputError(
      `boardIds must name 1–${MAX_SCOPE_BOARDS} boards; leave it out (or null) for a token that may use every board.`,
      'boardIds',
    );
  }
  return unique;
}

function checkFuture(expiresAt: Date | null | undefined, now: Date): void {
  if (expiresAt && expiresAt.getTime() <= now.getTime()) {
    throw new UserInputError(
      'expiresAt must lie in the future; leave it out (or null) for a token that does not expire.',
      'expiresAt',
    );
  }
}
