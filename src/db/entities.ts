import { AuditEvent } from '../audit/audit-event.entity';
import { Board } from '../boards/board.entity';
import { IdempotencyKey } from '../idempotency/idempotency-key.entity';
import { Incident } from '../incidents/incident.entity';
import { IncidentMonitor } from '../incidents/incident-monitor.entity';
import { IncidentUpdate } from '../incidents/incident-update.entity';
import { Monitor } from '../monitors/monitor.entity';
import { StatusEvent } from '../monitors/status-event.entity';
import { Organization } from '../organizations/organization.entity';
import { ApiToken } from '../tokens/api-token.entity';

/** Every entity the DataSource maps. */
export const ENTITIES = [
  Organization,
  ApiToken,
  Board,
  AuditEvent,
  Monitor,
  StatusEvent,
  Incident,
  IncidentMonitor,
  IncidentUpdate,
  IdempotencyKey,
];
