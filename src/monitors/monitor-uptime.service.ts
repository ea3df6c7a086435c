import type { Clock } from '../core/clock';
import type { Actor } from '../core/context';
import { UserInputError } from '../core/errors';
import { chargeRowsRead } from '../db/cost-meter';
import type { Database } from '../db/database';
import type { Monitor } from './monitor.entity';
import { MonitorUptime } from './monitor-uptime.types';
import { type UptimeSums, uptimeSums } from './uptime-query';

const NOTHING: UptimeSums = { up: 0, warn: 0, down: 0, maintenance: 0, unknown: 0, eventsRead: 0 };

/** `Monitor.uptime` (API.md section 12): time per status over a window, summed in SQL. */
export class MonitorUptimeService {
  /** The request's "now", read once, so every monitor of a request shares one window end. */
  private readonly nowOf = new WeakMap<object, Date>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * The monitor's uptime from `since` (at the earliest its creation) to `until` (now when
   * omitted, at the latest now). An empty window is BAD_USER_INPUT, refused before any SQL. The
   * monitors of a request with the same window are summed in one statement; the status events
   * it reads are charged as read.
   */
  async uptime(
    actor: Actor,
    monitor: Pick<Monitor, 'id' | 'createdAt'>,
    since: Date,
    until: Date | null | undefined,
  ): Promise<MonitorUptime> {
    const now = this.now(actor);
    const end = until && until < now ? until : now;
    const created = new Date(monitor.createdAt);
    const start = since < created ? created : since;
    if (start >= end) {
      throw new UserInputError(
        'since must be before until, after since is moved up to the monitor’s creation and until ' +
          '(now when omitted) down to now: ask for a window that ends after the creation, and starts before now.',
        'since',
      );
    }
    const sums = await actor.loaders
      .get<UptimeSums>(
        `monitor.uptime:${since.toISOString()}:${end.toISOString()}`,
        async (ids) => {
          const found = await uptimeSums(this.db, actor, ids, since, end);
          chargeRowsRead([...found.values()].reduce((sum, each) => sum + each.eventsRead, 0));
          return found;
        },
        NOTHING,
      )
      .load(monitor.id);
    return Object.assign(new MonitorUptime(), {
      since: start,
      until: end,
      upPercent: upPercent(sums),
      upSeconds: sums.up / 1000,
      warnSeconds: sums.warn / 1000,
      downSeconds: sums.down / 1000,
      maintenanceSeconds: sums.maintenance / 1000,
      unknownSeconds: sums.unknown / 1000,
    });
  }

  private now(actor: Actor): Date {
    let now = this.nowOf.get(actor.loaders);
    if (!now) {
      now = this.clock.now();
      this.nowOf.set(actor.loaders, now);
    }
    return now;
  }
}

/** up ÷ (up + warn + down) × 100: maintenance and unknown time count for nothing; null without any. */
function upPercent(sums: UptimeSums): number | null {
  const counted = sums.up + sums.warn + sums.down;
  return counted === 0 ? null : (sums.up / counted) * 100;
}
