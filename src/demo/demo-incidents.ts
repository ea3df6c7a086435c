import { randomUUID } from 'node:crypto';
import {
  IncidentPhase,
  IncidentSeverity,
  MAINTENANCE_PHASES,
  isClosing,
} from '../incidents/incident-enums';
import { Incident } from '../incidents/incident.entity';
import { IncidentMonitor } from '../incidents/incident-monitor.entity';
import { IncidentUpdate } from '../incidents/incident-update.entity';
import { MonitorStatus } from '../monitors/monitor-enums';
import type { Monitor } from '../monitors/monitor.entity';
import { UserInputError } from '../core/errors';
import { checkName, checkText } from '../core/validation';
import { OPEN_INCIDENTS, SCHEDULED_MAINTENANCE } from './demo-catalog';
import { DAY, HOUR, MINUTE, type Outage } from './demo-history';
import * as texts from './demo-texts';
import type { SeededRandom } from './seeded-random';

const PAST_INCIDENTS = 35;
const PAST_MAINTENANCE = 2;

export interface DemoMonitor {
  monitor: Monitor;
  outages: Outage[];
}

export interface IncidentRows {
  incidents: Incident[];
  updates: IncidentUpdate[];
  links: IncidentMonitor[];
}

interface Step {
  phase: IncidentPhase;
  message: string;
  at: number;
}

interface Story {
  boardId: string;
  name: string;
  details: string | null;
  severity: IncidentSeverity;
  startedAt: number;
  createdAt: number;
  window?: { start: number; end: number };
  monitors: Monitor[];
  /** Oldest first; the last one is the incident's phase, and its time the incident's updatedAt. */
  steps: [Step, ...Step[]];
}

/**
 * About forty incidents that fit the status history: past MINOR and MAJOR ones on real WARN and
 * DOWN spells (resolved), past maintenance on MAINTENANCE spells (completed), the open incidents
 * of the monitors that are not UP now, and one maintenance scheduled in the coming days.
 */
export function demoIncidents(
  random: SeededRandom,
  organizationId: string,
  now: number,
  monitors: DemoMonitor[],
): IncidentRows {
  const rows: IncidentRows = { incidents: [], updates: [], links: [] };
  const byName = new Map(monitors.map((m) => [m.monitor.displayName, m.monitor]));
  const named = (name: string): Monitor => {
    const monitor = byName.get(name);
    if (!monitor) {
      throw new UserInputError(`The demo catalog names a monitor it does not define: ${name}.`);
    }
    return monitor;
  };
  const add = (story: Story) => addStory(rows, organizationId, story);
  const spells = (statuses: MonitorStatus[]) =>
    random.shuffle(
      monitors.flatMap(({ monitor, outages }) =>
        outages
          .filter((o) => o.end !== null && o.end - o.start >= 10 * MINUTE)
          .filter((o) => statuses.includes(o.status) && o.start > now - 85 * DAY)
          .map((outage) => ({ monitor, outage, end: outage.end ?? now })),
      ),
    );
  const neighbours = (monitor: Monitor) =>
    random
      .shuffle(monitors.map((m) => m.monitor).filter((m) => m.boardId === monitor.boardId))
      .filter((m) => m.id !== monitor.id)
      .slice(0, random.int(0, 2));

  for (const { monitor, outage, end } of spells([MonitorStatus.WARN, MonitorStatus.DOWN]).slice(
    0,
    PAST_INCIDENTS,
  )) {
    const major = outage.status === MonitorStatus.DOWN && end - outage.start > 20 * MINUTE;
    const startedAt = outage.start + random.between(2 * MINUTE, 8 * MINUTE);
    const resolvedAt = end + random.between(5 * MINUTE, 30 * MINUTE);
    const span = resolvedAt - startedAt;
    const steps: Story['steps'] = [
      {
        phase: IncidentPhase.INVESTIGATING,
        message: texts.investigating(monitor.displayName),
        at: startedAt,
      },
      {
        phase: IncidentPhase.IDENTIFIED,
        message: random.pick(texts.CAUSES),
        at: startedAt + span * 0.3,
      },
      ...(random.chance(0.7)
        ? [
            {
              phase: IncidentPhase.MONITORING,
              message: texts.MONITORING_MESSAGE,
              at: startedAt + span * 0.7,
            },
          ]
        : []),
      {
        phase: IncidentPhase.RESOLVED,
        message: random.pick(texts.RESOLVED_MESSAGES),
        at: resolvedAt,
      },
    ];
    add({
      boardId: monitor.boardId,
      name: random.pick(major ? texts.MAJOR_NAMES : texts.MINOR_NAMES)(monitor.displayName),
      details: random.pick(texts.DETAILS),
      severity: major ? IncidentSeverity.MAJOR : IncidentSeverity.MINOR,
      startedAt,
      createdAt: startedAt,
      monitors: [monitor, ...neighbours(monitor)],
      steps,
    });
  }

  const maintained = new Set<string>();
  for (const { monitor, outage, end } of spells([MonitorStatus.MAINTENANCE])) {
    if (maintained.size >= PAST_MAINTENANCE || maintained.has(monitor.boardId)) {
      continue;
    }
    maintained.add(monitor.boardId);
    const announced = outage.start - random.between(2 * DAY, 4 * DAY);
    add({
      boardId: monitor.boardId,
      name: texts.maintenanceName(monitor.displayName),
      details: null,
      severity: IncidentSeverity.MAINTENANCE,
      startedAt: outage.start,
      createdAt: announced,
      window: { start: outage.start, end: end + 15 * MINUTE },
      monitors: [monitor],
      steps: [
        {
          phase: IncidentPhase.SCHEDULED,
          message: texts.MAINTENANCE_STEPS.scheduled,
          at: announced,
        },
        {
          phase: IncidentPhase.IN_PROGRESS,
          message: texts.MAINTENANCE_STEPS.inProgress,
          at: outage.start,
        },
        {
          phase: IncidentPhase.VERIFYING,
          message: texts.MAINTENANCE_STEPS.verifying,
          at: end - 5 * MINUTE,
        },
        { phase: IncidentPhase.COMPLETED, message: texts.MAINTENANCE_STEPS.completed, at: end },
      ],
    });
  }

  for (const spec of OPEN_INCIDENTS) {
    const [first] = spec.monitors;
    const startedAt = now - spec.sinceMinutesAgo * MINUTE + random.between(2 * MINUTE, 4 * MINUTE);
    add({
      boardId: named(first).boardId,
      name: spec.name,
      details: spec.details,
      severity: spec.severity,
      startedAt,
      createdAt: startedAt,
      monitors: spec.monitors.map(named),
      steps: [
        { phase: IncidentPhase.INVESTIGATING, message: texts.investigating(first), at: startedAt },
        ...spec.later.map((s) => ({
          ...s,
          at: startedAt + s.minutes * MINUTE + random.between(0, MINUTE),
        })),
      ],
    });
  }

  const planned = SCHEDULED_MAINTENANCE;
  const announced = now - planned.announcedHoursAgo * HOUR + random.between(0, HOUR);
  const start = Math.floor((now + planned.startsInDays * DAY) / HOUR) * HOUR;
  const affected = planned.monitors.map(named);
  add({
    boardId: affected[0].boardId,
    name: planned.name,
    details: planned.details,
    severity: IncidentSeverity.MAINTENANCE,
    // Not started yet: it starts with its window (a startedAt in the past would list it among
    // incidents that began before now).
    startedAt: start,
    createdAt: announced,
    window: { start, end: start + planned.hours * HOUR },
    monitors: affected,
    steps: [{ phase: IncidentPhase.SCHEDULED, message: planned.message, at: announced }],
  });
  return rows;
}

function addStory(rows: IncidentRows, organizationId: string, story: Story): void {
  checkName(story.name);
  checkText(story.details, 'details');
  const last = story.steps[story.steps.length - 1];
  const maintenance = story.severity === IncidentSeverity.MAINTENANCE;
  // The same rules the incident service enforces, so the demo cannot show a state the API refuses.
  for (const step of story.steps) {
    checkText(step.message, 'message', true);
    if (MAINTENANCE_PHASES.includes(step.phase) !== maintenance) {
      throw new UserInputError(
        `A demo ${story.severity} incident cannot be ${step.phase}.`,
        'phase',
      );
    }
  }
  const at = (ms: number) => new Date(Math.round(ms));
  const incident = Object.assign(new Incident(), {
    id: randomUUID(),
    organizationId,
    boardId: story.boardId,
    name: story.name,
    details: story.details,
    severity: story.severity,
    phase: last.phase,
    startedAt: at(story.startedAt),
    resolvedAt: isClosing(last.phase) ? at(last.at) : null,
    willStartAt: story.window ? at(story.window.start) : null,
    willEndAt: story.window ? at(story.window.end) : null,
    createdAt: at(story.createdAt),
    updatedAt: at(last.at),
    deletedAt: null,
  });
  rows.incidents.push(incident);
  for (const step of story.steps) {
    rows.updates.push(
      Object.assign(new IncidentUpdate(), {
        id: randomUUID(),
        incidentId: incident.id,
        phase: step.phase,
        message: step.message,
        createdAt: at(step.at),
      }),
    );
  }
  for (const monitor of story.monitors) {
    rows.links.push(
      Object.assign(new IncidentMonitor(), { incidentId: incident.id, monitorId: monitor.id }),
    );
  }
}
