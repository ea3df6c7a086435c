import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLError } from 'graphql';
import type { EntityManager } from 'typeorm';
import { type Clock, systemClock } from '../core/clock';
import type { Database } from '../db/database';
import { ErrorCode } from '../core/errors';
import { IdempotencyKey, IdempotencyState } from './idempotency-key.entity';

/** How long a key is kept, counted from its first use. */
export const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyTiming {
  /** How long a retry waits for the request that holds its key before it gives up. */
  waitMs: number;
  /**
   * After this long without a stored response, a key's request is taken for dead (its instance
   * stopped). If its mutation committed nothing (IN_PROGRESS), the next retry takes the key over
   * and executes; if it committed (EXECUTED), retries are refused, never executed. Mutations here
   * are single short transactions, far below it; a live request whose key was taken over cannot
   * mark it EXECUTED, so its change rolls back.
   */
  takeoverMs: number;
  pollMs: number;
}

export const DEFAULT_TIMING: IdempotencyTiming = { waitMs: 30_000, takeoverMs: 60_000, pollMs: 50 };

/** The response of the request that executed, as it was sent. */
export interface StoredResponse {
  status: number;
  body: string;
}

/** The key held by one request, to store that request's response under. */
export interface Claim {
  tokenId: string;
  key: string;
  requestId: string;
}

// A claim's row while the claim holds it (not taken over), in one of `:...states`.
const HELD_BY =
  'token_id = :tokenId AND "key" = :key AND request_id = :requestId AND state IN (:...states)';
const { IN_PROGRESS, EXECUTED, COMPLETED } = IdempotencyState;

/** Thrown inside a mutation's transaction whose key a retry took over: the change rolls back. */
export class ClaimTakenOverError extends GraphQLError {
  constructor() {
    super(
      'A retry with this Idempotency-Key took it over while this request ran, so this change ' +
        "was not made; the retry's response is the one that counts.",
      { extensions: { code: ErrorCode.BAD_REQUEST } },
    );
  }
}

export type IdempotencyOutcome =
  | { kind: 'execute'; claim: Claim }
  | { kind: 'replay'; response: StoredResponse }
  /** The key was used for another request (query, operation name or variables). */
  | { kind: 'mismatch' }
  /** Another request holds the key and was still running when the wait ended. */
  | { kind: 'busy' }
  /** The request that holds the key committed its change, then died before storing its response. */
  | { kind: 'lost' };

/**
 * Idempotency keys of mutations, per token, kept 24 hours: the first request with a key executes,
 * its retries get its stored response. Of concurrent claims exactly one inserts the row (a
 * primary-key conflict does nothing, on both databases); the others wait for its response.
 *
 * A row goes IN_PROGRESS (claimed) → EXECUTED (marked in the transaction of the mutation's change,
 * so a committed change is never executed again) → COMPLETED (response stored). An IN_PROGRESS
 * row abandoned for `takeoverMs` is taken over; an EXECUTED one is refused (`lost`).
 */
export class IdempotencyService {
  constructor(
    private readonly db: Database,
    private readonly timing: IdempotencyTiming = DEFAULT_TIMING,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Claims `key` for this request, or returns what the request that holds it left. */
  async begin(
    tokenId: string,
    key: string,
    requestHash: string,
    requestId: string,
  ): Promise<IdempotencyOutcome> {
    const deadline = this.clock.now().getTime() + this.timing.waitMs;
    let row = await this.claim(tokenId, key, requestHash, requestId);
    for (;;) {
      if (row.requestHash !== requestHash) {
        return { kind: 'mismatch' };
      }
      if (row.state === COMPLETED) {
        return {
          kind: 'replay',
          response: { status: row.responseStatus ?? 200, body: row.responseBody ?? '{}' },
        };
      }
      if (row.requestId === requestId && row.state === IN_PROGRESS) {
        return { kind: 'execute', claim: { tokenId, key, requestId } };
      }
      if (row.state === EXECUTED && !this.isLive(row, this.clock.now().getTime())) {
        return { kind: 'lost' };
      }
      if (this.clock.now().getTime() >= deadline) {
        return { kind: 'busy' };
      }
      await sleep(this.timing.pollMs);
      // Reads while the other request runs; claims again once its row is gone or abandoned
      // (which takes over an IN_PROGRESS row, and leaves an EXECUTED one as it is).
      const current = await this.db.reader.findOneBy(IdempotencyKey, { tokenId, key });
      row =
        current && this.isLive(current, this.clock.now().getTime())
          ? current
          : await this.claim(tokenId, key, requestHash, requestId);
    }
  }

  /**
   * Marks the claim EXECUTED inside the transaction of a change its mutation makes: the mark
   * commits with the change or not at all. Again for each further change of the same request.
   * Throws, rolling the change back, if a retry took the key over meanwhile.
   */
  async markExecuted(manager: EntityManager, claim: Claim): Promise<void> {
    const result = await manager
      .createQueryBuilder()
      .update(IdempotencyKey)
      .set({ state: EXECUTED })
      .where(HELD_BY, { ...claim, states: [IN_PROGRESS, EXECUTED] })
      .execute();
    if (result.affected === 0) {
      throw new ClaimTakenOverError();
    }
  }

  /** Stores the response of the request that holds the claim; retries get it from now on. */
  async complete(claim: Claim, response: StoredResponse): Promise<void> {
    await this.db.write((manager) => this.store(manager, claim, [IN_PROGRESS, EXECUTED], response));
  }

  /**
   * Ends a claim whose response cannot be stored. If its mutation committed nothing, the key is
   * free again and the next retry executes; if it committed, retries get `executed` instead.
   */
  async release(claim: Claim, executed: StoredResponse): Promise<void> {
    await this.db.write(async (manager) => {
      await manager
        .createQueryBuilder()
        .delete()
        .from(IdempotencyKey)
        .where(HELD_BY, { ...claim, states: [IN_PROGRESS] })
        .execute();
      await this.store(manager, claim, [EXECUTED], executed);
    });
  }

  /** Deletes every expired key; returns how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.write((manager) =>
      manager
        .createQueryBuilder()
        .delete()
        .from(IdempotencyKey)
        .where('expires_at <= :now', { now: this.db.timestamp(this.clock.now()) })
        .execute(),
    );
    return result.affected ?? 0;
  }

  /**
   * In one write: frees the key if it expired, inserts this request's claim unless a row exists,
   * takes over an IN_PROGRESS claim abandoned for `takeoverMs` (its mutation committed nothing:
   * it failed, rolling its mark back, or never ran), and returns the row as it now stands. The
   * row names this request when the claim is its own.
   */
  private claim(
    tokenId: string,
    key: string,
    requestHash: string,
    requestId: string,
  ): Promise<IdempotencyKey> {
    return this.db.write(async (manager) => {
      const now = this.clock.now();
      const expiresAt = new Date(now.getTime() + KEY_LIFETIME_MS);
      const ours = { tokenId, key };
      await manager
        .createQueryBuilder()
        .delete()
        .from(IdempotencyKey)
        .where('token_id = :tokenId AND "key" = :key AND expires_at <= :now', {
          ...ours,
          now: this.db.timestamp(now),
        })
        .execute();
      await manager
        .createQueryBuilder()
        .insert()
        .into(IdempotencyKey)
        .values({
          ...ours,
          requestHash,
          requestId,
          state: IN_PROGRESS,
          responseStatus: null,
          responseBody: null,
          createdAt: now,
          expiresAt,
        })
        .orIgnore()
        .execute();
      await manager
        .createQueryBuilder()
        .update(IdempotencyKey)
        .set({ requestId, createdAt: now, expiresAt })
        .where(
          'token_id = :tokenId AND "key" = :key AND state = :inProgress' +
            ' AND request_hash = :requestHash AND created_at <= :abandonedBefore',
          {
            ...ours,
            inProgress: IN_PROGRESS,
            requestHash,
            abandonedBefore: this.db.timestamp(new Date(now.getTime() - this.timing.takeoverMs)),
          },
        )
        .execute();
      return manager.findOneByOrFail(IdempotencyKey, ours);
    });
  }

  private store(
    manager: EntityManager,
    claim: Claim,
    states: IdempotencyState[],
    response: StoredResponse,
  ): Promise<unknown> {
    return manager
      .createQueryBuilder()
      .update(IdempotencyKey)
      .set({ state: COMPLETED, responseStatus: response.status, responseBody: response.body })
      .where(HELD_BY, { ...claim, states })
      .execute();
  }

  /** Not expired, and completed or younger than `takeoverMs` (else abandoned). */
  private isLive(row: IdempotencyKey, now: number): boolean {
    return (
      row.expiresAt.getTime() > now &&
      (row.state === COMPLETED || row.createdAt.getTime() > now - this.timing.takeoverMs)
    );
  }
}
