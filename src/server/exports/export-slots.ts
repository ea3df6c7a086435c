import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../core/errors';

/** A third export of one token while two run: 429 RATE_LIMITED. */
export class TooManyExportsError extends GraphQLError {
  constructor(limit: number) {
    super(`This token already runs ${limit} exports, the most at once; retry when one has ended.`, {
      extensions: {
        code: ErrorCode.RATE_LIMITED,
        retryAfterSeconds: 1,
        http: { status: 429, headers: new HeaderMap([['retry-after', '1']]) },
      },
    });
  }
}

/** The exports each token runs at once on this instance, at most `limit`. */
export class ExportSlots {
  private readonly running = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Takes a slot for the token's export; returns what gives it back (once). */
  enter(tokenId: string): () => void {
    const count = this.running.get(tokenId) ?? 0;
    if (count >= this.limit) {
      throw new TooManyExportsError(this.limit);
    }
    this.running.set(tokenId, count + 1);
    let left = false;
    return () => {
      if (left) {
        return;
      }
      left = true;
      const now = (this.running.get(tokenId) ?? 1) - 1;
      if (now === 0) {
        this.running.delete(tokenId);
      } else {
        this.running.set(tokenId, now);
      }
    };
  }
}
