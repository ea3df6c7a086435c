import { registerEnumType } from 'type-graphql';

export enum IncidentSeverity {
  MINOR = 'MINOR',
  MAJOR = 'MAJOR',
  MAINTENANCE = 'MAINTENANCE',
}

registerEnumType(IncidentSeverity, {
  name: 'IncidentSeverity',
  valuesConfig: {
    MAINTENANCE: { description: 'Planned work; its phases are SCHEDULED … COMPLETED.' },
  },
});

export enum IncidentPhase {
  INVESTIGATING = 'INVESTIGATING',
  IDENTIFIED = 'IDENTIFIED',
  MONITORING = 'MONITORING',
  RESOLVED = 'RESOLVED',
  SCHEDULED = 'SCHEDULED',
  IN_PROGRESS = 'IN_PROGRESS',
  VERIFYING = 'VERIFYING',
  COMPLETED = 'COMPLETED',
}

registerEnumType(IncidentPhase, {
  name: 'IncidentPhase',
  description:
    'Incidents (MINOR, MAJOR) go INVESTIGATING → IDENTIFIED → MONITORING → RESOLVED; maintenance goes SCHEDULED → IN_PROGRESS → VERIFYING → COMPLETED.',
});

export enum IncidentOrder {
  STARTED_AT_DESC = 'STARTED_AT_DESC',
  STARTED_AT_ASC = 'STARTED_AT_ASC',
  UPDATED_AT_ASC = 'UPDATED_AT_ASC',
}

registerEnumType(IncidentOrder, {
  name: 'IncidentOrder',
  valuesConfig: {
    STARTED_AT_DESC: { description: 'Newest first, by (startedAt, id). The default.' },
    STARTED_AT_ASC: { description: 'Oldest first, by (startedAt, id).' },
    UPDATED_AT_ASC: {
      description:
        'By (updatedAt, id): for incremental sync. Every change, updates included, moves updatedAt.',
    },
  },
});

export const MAINTENANCE_PHASES: readonly IncidentPhase[] = [
  IncidentPhase.SCHEDULED,
  IncidentPhase.IN_PROGRESS,
  IncidentPhase.VERIFYING,
  IncidentPhase.COMPLETED,
];

/** The phase that closes an incident of this severity. */
export function closingPhase(severity: IncidentSeverity): IncidentPhase {
  return severity === IncidentSeverity.MAINTENANCE
    ? IncidentPhase.COMPLETED
    : IncidentPhase.RESOLVED;
}

export function isClosing(phase: IncidentPhase): boolean {
  return phase === IncidentPhase.RESOLVED || phase === IncidentPhase.COMPLETED;
}
