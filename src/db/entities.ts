import { AuditEvent } from '../audit/audit-event.entity';
import { Board } from '../boards/board.entity';
import { Organization } from '../organizations/organization.entity';
import { ApiToken } from '../tokens/api-token.entity';

/** Every entity the DataSource maps. */
export const ENTITIES = [Organization, ApiToken, Board, AuditEvent];
