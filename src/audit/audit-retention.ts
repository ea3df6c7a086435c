import type { ApolloServerPlugin } from '@apollo/server';
import type { Clock } from '../core/clock';
import type { Logger } from '../core/logger';
import type { Database } from '../db/database';
import { AuditEvent } from './audit-event.entity';

const DAY_MS = 24 * 60 * 60 * 1000;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** Deletes audit events older than the retention period (API.md section 5). */
export class AuditRetention {
  constructor(
    private readonly db: Database,
    private readonly retentionDays: number,
    private readonly clock: Clock,
  ) {}

  /** Deletes every event older than the retention period, in every organization; returns how many. */
  async purge(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.retentionDays * DAY_MS);
    const result = await this.db.write((manager) =>
      manager
        .createQueryBuilder()
        .delete()
        .from(AuditEvent)
        .where('at < :cutoff', { cutoff: this.db.timestamp(cutoff) })
        .execute(),
    );
    return result.affected ?? 0;
  }
}

/** Purges at start and then every hour, while the server runs; a failed purge is only logged. */
export function auditRetentionPlugin(
  retention: AuditRetention,
  logger: Logger,
): ApolloServerPlugin {
  return {
    async serverWillStart() {
      const purge = () =>
        retention.purge().catch((error: unknown) => {
          logger.warn({ err: error }, 'could not purge old audit events');
          return 0;
        });
      let purging: Promise<unknown> = purge();
      const timer = setInterval(() => {
        purging = purge();
      }, PURGE_INTERVAL_MS);
      timer.unref();
      return {
        async serverWillStop() {
          clearInterval(timer);
          await purging;
        },
      };
    },
  };
}
