import type { RequestContext } from '../core/context';
import { TokenPermission } from '../tokens/token-permission';

/**
 * Whether a mutation request may use its Idempotency-Key now. A stored response was produced
 * with the permission the token had then; a permission change holds from the very next request,
 * replays included (API.md section 4). Every Mutation field needs FULL_ACCESS, so a request
 * without it skips the key and executes, where the rule map denies it (and the audit log records
 * the denial) as for any request. Board scope (section 11) is part of the key's request instead
 * (idempotency.plugin.ts, requestHash): a scoped token may use keys, and a key used before its
 * boards changed gets 422, never the stored response nor a second run.
 */
export function mayUseIdempotencyKey(context: RequestContext): boolean {
  return context.permission === TokenPermission.FULL_ACCESS;
}
