import type { EntityManager } from 'typeorm';
import { UserInputError } from '../core/errors';
import type { Database } from '../db/database';
import { ApiToken } from './api-token.entity';
import { TokenPermission } from './token-permission';

/** A token that expires sooner than this counts as unusable for the lock-out rule. */
export const LOCK_OUT_HORIZON_MS = 24 * 60 * 60 * 1000;

/**
 * Whether `token` keeps an organization reachable (API.md section 4): FULL_ACCESS, active, not
 * revoked, and not expiring within the next 24 hours.
 */
export function isUsableFullAccess(token: ApiToken, now: Date): boolean {
  return (
    token.permission === TokenPermission.FULL_ACCESS &&
    // Only organization-wide tokens can manage tokens and boards (API.md section 11).
    !token.boardScoped &&
    token.active &&
    token.revokedAt === null &&
    (token.expiresAt === null || token.expiresAt.getTime() > now.getTime() + LOCK_OUT_HORIZON_MS)
  );
}

/** Whether an expiry (null: none) would leave a token unusable within the next 24 hours. */
export function expiresWithinHorizon(expiresAt: Date | null, now: Date): boolean {
  return expiresAt !== null && expiresAt.getTime() <= now.getTime() + LOCK_OUT_HORIZON_MS;
}

/**
 * Nobody locks their organization out, now or by tomorrow: refuses `change` when `token` is the
 * organization's last usable FULL_ACCESS token. Run it inside the change's transaction, after the
 * organization's row is locked (PostgreSQL), so concurrent changes see each other's result.
 */
export async function guardLastFullAccess(
  db: Database,
  manager: EntityManager,
  token: ApiToken,
  change: string,
  now: Date,
): Promise<void> {
  if (!isUsableFullAccess(token, now)) {
    return;
  }
  const others = await manager
    .createQueryBuilder(ApiToken, 't')
    .where('t.organizationId = :org', { org: token.organizationId })
    .andWhere('t.id <> :id', { id: token.id })
    .andWhere("t.permission = 'FULL_ACCESS'")
    .andWhere('t.boardScoped = FALSE')
    .andWhere('t.revokedAt IS NULL AND t.active = TRUE')
    .andWhere('(t.expiresAt IS NULL OR t.expiresAt > :horizon)', {
      horizon: db.timestamp(new Date(now.getTime() + LOCK_OUT_HORIZON_MS)),
    })
    .getCount();
  if (others === 0) {
    throw new UserInputError(
      `This is the organization's last usable full-access token, so it cannot be ${change}: ` +
        'create another full-access token (one that does not expire within 24 hours) first, ' +
        'or nobody could change anything any more.',
      'id',
    );
  }
}
