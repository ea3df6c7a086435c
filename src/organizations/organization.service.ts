import { randomUUID } from 'node:crypto';
import type { AuditLogService } from '../audit/audit-log.service';
import { AuditScope } from '../core/audit-scope';
import type { Actor } from '../core/context';
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/database';
import { Loaders } from '../core/loaders';
import { TokenPermission } from '../core/permission';
import { checkName } from '../core/validation';
import { Organization } from './organization.entity';

/** A new organization with what was made with it (its first token, by tokens/). */
export type CreatedOrganization<First> = First & { organization: Organization };

/** What is made with each new organization, in its transaction: tokens/ makes its first token. */
export type FirstMember<First> = (
  manager: EntityManager,
  organization: Organization,
) => Promise<First>;

/** Any constant shared by every instance: the key of the first-start lock on PostgreSQL. */
const FIRST_ORGANIZATION_LOCK_KEY = 7_406_319_013;

/**
 * Organizations are made by the command line and the first start, never through the API. Their
 * first token is made by `firstMember`: tokens/ stands above organizations/ and knows tokens.
 */
export class OrganizationService<First extends object> {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLogService,
    private readonly firstMember: FirstMember<First>,
  ) {}

  /** Every organization, oldest first: for the command line, which acts for the operator. */
  listAll(): Promise<Organization[]> {
    return this.db.reader.find(Organization, { order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** A new organization with its first FULL_ACCESS token, audited as `action` with no token. */
  create(name: string, action: string): Promise<CreatedOrganization<First>> {
    checkName(name);
    return this.db.write((manager) => this.insert(manager, name, action));
  }

  /**
   * The first start's organization, only when the database has none. Instances that start
   * together on PostgreSQL take a transaction-scoped advisory lock first, so exactly one of them
   * creates it (and prints its secret); the others find it there. Null when one exists.
   */
  createFirst(name: string, action: string): Promise<CreatedOrganization<First> | null> {
    return this.db.write(async (manager) => {
      if (!this.db.isSqlite) {
        await manager.query('SELECT pg_advisory_xact_lock($1)', [FIRST_ORGANIZATION_LOCK_KEY]);
      }
      if ((await manager.count(Organization)) > 0) {
        return null;
      }
      return this.insert(manager, name, action);
    });
  }

  private async insert(
    manager: EntityManager,
    name: string,
    action: string,
  ): Promise<CreatedOrganization<First>> {
    const organization = Object.assign(new Organization(), {
      id: randomUUID(),
      name,
      createdAt: new Date(),
    });
    await manager.insert(Organization, organization);
    const created = await this.firstMember(manager, organization);
    const actor = systemActor(organization, action);
    await this.audit.succeeded(manager, actor, { type: 'Organization', id: organization.id });
    return { organization, ...created };
  }

  /** Any organization by id (the CLI's look-up), or null. */
  get(id: string): Promise<Organization | null> {
    return this.db.reader.findOneBy(Organization, { id });
  }
}

/** The actor of the command line and of start-up: no token, full access to every board, no address. */
export function systemActor(organization: Organization, action: string): Actor {
  const audit = new AuditScope();
  audit.enter(action);
  return {
    organization,
    token: null,
    permission: TokenPermission.FULL_ACCESS,
    boardScope: null,
    request: { id: action, ip: null, userAgent: null },
    audit,
    loaders: new Loaders(),
  };
}
