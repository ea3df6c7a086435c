import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock';
import { DEFAULT_AUDIT } from '../core/config';
import type { Actor } from '../core/context';
import { AuditOutcome } from './audit-event.entity';
import type { AuditRefusal } from './audit-log.service';

/** API.md section 5: `AUDIT_DENIED_PER_MINUTE`'s default. */
export const DEFAULT_DENIED_PER_MINUTE = DEFAULT_AUDIT.deniedPerMinute;

const MINUTE_MS = 60_000;

/** What to do with one token's denials of one request. */
export interface FoldPlan {
  /** How many of the denials, in order, are recorded one event each. */
  single: number;
  /** The id of the event of the minute that counts the rest of each action (see `foldedEventId`). */
  foldedEventId(action: string): string;
}

/**
 * Bounds the DENIED events one token can cause (API.md section 5): the first `perMinute` denials
 * of a minute are recorded one by one; further ones of that minute fold into one event per action,
 * whose count grows. The counter is kept in memory, per instance (each instance allows
 * `perMinute`); the folded event's id is derived from token, action and minute, so every request
 * (and instance) of that minute adds to the same row.
 */
export class DenialFold {
  private minute = Number.NEGATIVE_INFINITY;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  /** Counts `denials` of `tokenId` now and says how many may still be recorded singly. */
  plan(tokenId: string, denials: number): FoldPlan {
    const minute = Math.floor(this.clock.now().getTime() / MINUTE_MS);
    if (minute !== this.minute) {
      // Only the current minute is kept: the map holds at most the tokens denied this minute.
      this.minute = minute;
      this.counts.clear();
    }
    const before = this.counts.get(tokenId) ?? 0;
    this.counts.set(tokenId, before + denials);
    return {
      single: Math.max(0, Math.min(denials, this.perMinute - before)),
      foldedEventId: (action) => foldedEventId(tokenId, action, minute),
    };
  }
}

/** A UUID-shaped id from token, action and minute: one folded event per action and minute. */
function foldedEventId(tokenId: string, action: string, minute: number): string {
  const hex = createHash('sha256').update(`${tokenId}\n${action}\n${minute}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** One action's folded denials of a request: added to the event `id` of the minute. */
export interface FoldedDenials {
  id: string;
  action: string;
  type: string | undefined;
  count: number;
}

/**
 * Splits a request's refusals into those recorded one event each (every FAILED one, the CLI's,
 * and a token's denials within its allowance) and the denials folded per action.
 */
export function foldDenials(
  fold: DenialFold,
  actor: Actor,
  refusals: AuditRefusal[],
): { single: AuditRefusal[]; folded: FoldedDenials[] } {
  const denied = refusals.filter((r) => r.outcome === AuditOutcome.DENIED);
  if (actor.token === null || denied.length === 0) {
    return { single: refusals, folded: [] };
  }
  const plan = fold.plan(actor.token.id, denied.length);
  const over = new Set(denied.slice(plan.single));
  const folded = new Map<string, FoldedDenials>();
  for (const refusal of over) {
    const entry = folded.get(refusal.action) ?? {
      id: plan.foldedEventId(refusal.action),
      action: refusal.action,
      type: refusal.target.type,
      count: 0,
    };
    entry.count += 1;
    folded.set(refusal.action, entry);
  }
  return { single: refusals.filter((r) => !over.has(r)), folded: [...folded.values()] };
}
