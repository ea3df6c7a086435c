import { MonitorStatus, type MonitorType } from '../monitors/monitor-enums';
import {
  CHECK_MESSAGES,
  FIRST_CHECK_MESSAGE,
  MAINTENANCE_MESSAGE,
  RECOVERED_MESSAGES,
} from './demo-texts';
import type { SeededRandom } from './seeded-random';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A stretch of time a monitor was not UP, with its worst status; `end` is null while it lasts. */
export interface Outage {
  status: MonitorStatus;
  start: number;
  end: number | null;
}

/** One status change, times in epoch milliseconds. */
export interface HistoryEvent {
  status: MonitorStatus;
  previousStatus: MonitorStatus;
  message: string | null;
  at: number;
}

export interface MonitorHistory {
  events: HistoryEvent[];
  outages: Outage[];
}

/**
 * A monitor's status changes from `from` to `until`: long UP stretches with exponential gaps
 * (a few days on average), broken by short WARN, DOWN or MAINTENANCE spells; with `ongoing`, it
 * ends in that status since that time. Each event's previousStatus is the one before it, the
 * first one's UNKNOWN, exactly as setMonitorStatus records them.
 */
export function statusHistory(
  random: SeededRandom,
  monitorType: MonitorType,
  from: number,
  until: number,
  ongoing: { status: MonitorStatus; since: number } | null,
): MonitorHistory {
  const events: HistoryEvent[] = [];
  const outages: Outage[] = [];
  let current = MonitorStatus.UNKNOWN;
  const report = (status: MonitorStatus, at: number, message: string | null) => {
    events.push({ status, previousStatus: current, message, at: Math.round(at) });
    current = status;
  };
  const problem = (status: MonitorStatus) =>
    status === MonitorStatus.WARN || status === MonitorStatus.DOWN
      ? random.pick(CHECK_MESSAGES[monitorType][status])
      : MAINTENANCE_MESSAGE;

  let t = from + random.between(2 * MINUTE, 30 * MINUTE);
  report(MonitorStatus.UP, t, FIRST_CHECK_MESSAGE);
  const meanUp = random.between(2, 6) * DAY;
  const stop = ongoing ? ongoing.since - HOUR : until;
  for (;;) {
    const start = t + 10 * MINUTE + random.exponential(meanUp);
    const roll = random.next();
    const status =
      roll < 0.5
        ? MonitorStatus.WARN
        : roll < 0.85
          ? MonitorStatus.DOWN
          : MonitorStatus.MAINTENANCE;
    const length =
      status === MonitorStatus.DOWN
        ? random.between(3 * MINUTE, 2 * HOUR)
        : random.between(15 * MINUTE, 3 * HOUR);
    const end = start + length;
    if (end >= stop) {
      break;
    }
    report(status, start, problem(status));
    let worst = status;
    // Now and then a warning turns into an outage before it recovers.
    if (status === MonitorStatus.WARN && random.chance(0.2)) {
      report(
        MonitorStatus.DOWN,
        start + length * random.between(0.2, 0.6),
        problem(MonitorStatus.DOWN),
      );
      worst = MonitorStatus.DOWN;
    }
    report(MonitorStatus.UP, end, random.pick(RECOVERED_MESSAGES));
    outages.push({ status: worst, start: Math.round(start), end: Math.round(end) });
    t = end;
  }
  if (ongoing) {
    report(ongoing.status, ongoing.since, problem(ongoing.status));
    outages.push({ status: ongoing.status, start: Math.round(ongoing.since), end: null });
  }
  return { events, outages };
}
