import type { Feature } from '../core/feature';
import { resolver } from '../core/feature';
import { AuditEvent } from './audit-event.entity';
import { AuditEventResolver } from './audit-event.resolver';
import type { AuditLogService } from './audit-log.service';

/** The audit log: its table and the auditEvents query. */
export const auditFeature: Feature<{ audit: AuditLogService }> = {
  name: 'audit',
  entities: [AuditEvent],
  resolvers: [resolver(AuditEventResolver, (s) => new AuditEventResolver(s.audit))],
  auditTargets: [],
};
