import { Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_COLUMN } from '../db/columns';

/** Which monitors an incident affects. */
@Entity('incident_monitor')
@Index(['monitorId', 'incidentId'])
export class IncidentMonitor {
  @PrimaryColumn(ID_COLUMN)
  incidentId!: string;

  @PrimaryColumn(ID_COLUMN)
  monitorId!: string;
}
