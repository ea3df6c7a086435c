import { randomUUID } from 'node:crypto';
import { type EntityManager, In, IsNull } from 'typeorm';
import type { AuditedChanges } from '../audit/audited-changes';
import { Board } from '../boards/board.entity';
import type { BoardService } from '../boards/board.service';
import type { Actor } from '../core/context';
import { boardScopeWhere, inBoardScope, isBoardInScope } from '../db/board-scope';
import type { Database } from '../db/database';
import {
  afterKey,
  type KeysetOrder,
  type Page,
  type PageArgs,
  pageOf,
  pageSize,
  paginateRaw,
} from '../db/pagination';
import { countsByParent, pagesByParent } from '../db/batched-pages';
import { NotFoundError, UserInputError } from '../core/errors';
import { Monitor } from '../monitors/monitor.entity';
import { checkName, checkText } from '../core/validation';
import type { IncidentOrder } from './incident-enums';
import {
  IncidentPhase,
  IncidentSeverity,
  MAINTENANCE_PHASES,
  closingPhase,
  isClosing,
} from './incident-enums';
import { Incident } from './incident.entity';
import type {
  CreateIncidentInput,
  IncidentFilter,
  IncidentUpdateInput,
  UpdateIncidentInput,
} from './incident.inputs';
import { IncidentMonitor } from './incident-monitor.entity';
import { monitorIdsOfIncidents, monitorsByIncident, monitorsOfIncident } from './incident-monitors';
import {
  EVERY_COLUMN,
  type IncidentReading,
  type IncidentRow,
  incidentNodes,
  incidentSelection,
  readingKey,
} from './incident-row';
import { IncidentUpdate } from './incident-update.entity';

const TARGET = 'Incident';
/** The alias of the board a page joins when it asks for it. */
const BOARD_ALIAS = 'ib';

const ORDERS: Record<
  IncidentOrder,
  KeysetOrder<IncidentRow> & { sortBy: 'startedAt' | 'updatedAt' }
> = {
  STARTED_AT_DESC: { list: 'incidents', sortBy: 'startedAt', kind: 'timestamp', direction: 'DESC' },
  STARTED_AT_ASC: { list: 'incidents', sortBy: 'startedAt', kind: 'timestamp', direction: 'ASC' },
  UPDATED_AT_ASC: { list: 'incidents', sortBy: 'updatedAt', kind: 'timestamp', direction: 'ASC' },
};

/** Incidents and maintenance with their updates; deletion leaves a tombstone for sync. */
export class IncidentService {
  constructor(
    private readonly db: Database,
    private readonly changes: AuditedChanges,
    private readonly boards: BoardService,
  ) {}

  /** A live incident of the actor's organization; null for tombstones and any other string. */
  get(actor: Actor, id: string): Promise<Incident | null> {
    return this.db.reader.findOneBy(Incident, {
      id,
      organizationId: actor.organization.id,
      deletedAt: IsNull(),
      ...boardScopeWhere(actor, 'boardId'),
    });
  }

  /**
   * A page of incidents as raw rows (a BI export reads 1000 at a time); tenancy as everywhere.
   * `reading` says which columns the page needs, and whether its board (joined) and monitors
   * (read for the whole page) come with it.
   */
  async list(
    actor: Actor,
    filter: IncidentFilter | undefined,
    orderBy: IncidentOrder,
    page: PageArgs,
    reading: IncidentReading = EVERY_COLUMN,
  ): Promise<Page<IncidentRow>> {
    const order = ORDERS[orderBy];
    const query = this.read(actor, filter, reading);
    if (filter?.boardId != null) {
      query.andWhere('i.boardId = :boardId', { boardId: filter.boardId });
    }
    const result = await paginateRaw(
      this.db,
      query,
      order,
      page,
      incidentSelection(this.db, 'i', reading, order.sortBy, BOARD_ALIAS),
      incidentNodes(this.db, reading, order.sortBy),
    );
    if (reading.monitors && result.nodes.length > 0) {
      const monitors = await monitorsByIncident(
        this.db,
        actor,
        result.nodes.map((node) => node.id),
      );
      for (const node of result.nodes) {
        node.joinedMonitors = monitors.get(node.id) ?? [];
      }
    }
    return result;
  }

  /**
   * A board's incidents (`Board.incidents`). The pages of every board of a list are read in one
   * statement, their counts in another.
   */
  ofBoard(
    actor: Actor,
    boardId: string,
    filter: IncidentFilter | undefined,
    orderBy: IncidentOrder,
    page: PageArgs,
    reading: IncidentReading = EVERY_COLUMN,
  ): Promise<Page<IncidentRow>> {
    const size = pageSize(page.first);
    const order = ORDERS[orderBy];
    const key = JSON.stringify({ ...filter, boardId: undefined });
    const counts = actor.loaders.get<number>(
      `board.incidents.count:${key}`,
      (boardIds) => countsByParent(this.filtered(actor, filter), 'boardId', boardIds),
      0,
    );
    return actor.loaders
      .get<IncidentRow[]>(
        `board.incidents:${key}:${orderBy}:${size}:${afterKey(page.after)}:${readingKey(reading)}`,
        (boardIds) =>
          pagesByParent(
            this.db,
            this.read(actor, filter, reading),
            'boardId',
            boardIds,
            order,
            page,
            {
              selection: incidentSelection(this.db, 'i', reading, order.sortBy, BOARD_ALIAS),
              toNode: incidentNodes(this.db, reading, order.sortBy),
            },
          ),
        [],
      )
      .load(boardId)
      .then((rows) => pageOf(rows, size, order, () => counts.load(boardId)));
  }

  /** `filtered`, with the board joined when `reading` asks for it. */
  private read(actor: Actor, filter: IncidentFilter | undefined, reading: IncidentReading) {
    const query = this.filtered(actor, filter);
    if (reading.board) {
      query.leftJoin(Board, BOARD_ALIAS, `${BOARD_ALIAS}.id = i.boardId`);
    }
    return query;
  }

  /** The organization's incidents that `filter` keeps, its board aside. */
  private filtered(actor: Actor, filter: IncidentFilter | undefined) {
    const query = this.db.reader
      .createQueryBuilder(Incident, 'i')
      .where('i.organizationId = :org', { org: actor.organization.id });
    inBoardScope(query, actor, 'i.boardId');
    if (!filter?.includeDeleted) {
      query.andWhere('i.deletedAt IS NULL');
    }
    if (filter?.monitorId != null) {
      query.andWhere(
        'i.id IN (SELECT im.incident_id FROM incident_monitor im WHERE im.monitor_id = :monitorId)',
        {
          monitorId: filter.monitorId,
        },
      );
      // A monitor outside the scope matches nothing, even on incidents that are in it.
      inBoardScope(query, actor, '(SELECT fm.board_id FROM monitor fm WHERE fm.id = :monitorId)');
    }
    if (filter?.phase != null) {
      query.andWhere('i.phase = :phase', { phase: filter.phase });
    }
    if (filter?.severity != null) {
      query.andWhere('i.severity = :severity', { severity: filter.severity });
    }
    const times = [
      ['startedAfter', 'i.startedAt >'],
      ['startedBefore', 'i.startedAt <'],
      ['updatedAfter', 'i.updatedAt >'],
    ] as const;
    for (const [field, condition] of times) {
      const value = filter?.[field];
      if (value) {
        query.andWhere(`${condition} :${field}`, { [field]: this.db.timestamp(value) });
      }
    }
    return query;
  }

  /** An incident's updates, oldest first; batched per request. */
  updatesOf(actor: Actor, incidentId: string): Promise<IncidentUpdate[]> {
    return actor.loaders
      .get<IncidentUpdate[]>(
        'incident.updates',
        async (incidentIds) => {
          const updates = await this.db.reader.find(IncidentUpdate, {
            where: { incidentId: In([...incidentIds]) },
            order: { createdAt: 'ASC', id: 'ASC' },
          });
          const byIncident = new Map<string, IncidentUpdate[]>();
          for (const update of updates) {
            byIncident.set(update.incidentId, [
              ...(byIncident.get(update.incidentId) ?? []),
              update,
            ]);
          }
          return byIncident;
        },
        [],
      )
      .load(incidentId);
  }

  /** The monitors the incident affects, by displayName; batched per request. */
  monitorsOf(actor: Actor, incidentId: string): Promise<Monitor[]> {
    return monitorsOfIncident(this.db, actor, incidentId);
  }

  /** The ids of each incident's monitors, by displayName, in one statement (an export's page). */
  monitorIdsOf(actor: Actor, incidentIds: readonly string[]): Promise<Map<string, string[]>> {
    return monitorIdsOfIncidents(this.db, actor, incidentIds);
  }

  /** Makes a deleted board's incidents tombstones, so a sync learns of it (a board hook). */
  async tombstoneOfBoard(
    manager: EntityManager,
    actor: Actor,
    board: Board,
    now: Date,
  ): Promise<void> {
    await manager.update(
      Incident,
      { boardId: board.id, organizationId: actor.organization.id, deletedAt: IsNull() },
      { deletedAt: now, updatedAt: now },
    );
  }

  /** A new incident on one of the actor's boards, audited. */
  create(actor: Actor, input: CreateIncidentInput): Promise<Incident> {
    checkName(input.name);
    checkText(input.details, 'details');
    const phase =
      input.phase ??
      (input.severity === IncidentSeverity.MAINTENANCE
        ? IncidentPhase.SCHEDULED
        : IncidentPhase.INVESTIGATING);
    checkPhase(input.severity, phase);
    checkWindow(input.willStartAt ?? null, input.willEndAt ?? null);
    return this.changes.record(
      actor,
      TARGET,
      async (manager) => {
        const board = await this.boards.hold(manager, actor, input.boardId);
        const now = this.db.now();
        const incident = Object.assign(new Incident(), {
          id: randomUUID(),
          organizationId: actor.organization.id,
          boardId: board.id,
          name: input.name,
          details: input.details ?? null,
          severity: input.severity,
          phase,
          startedAt: input.startedAt ?? now,
          resolvedAt: isClosing(phase) ? now : null,
          willStartAt: input.willStartAt ?? null,
          willEndAt: input.willEndAt ?? null,
          createdAt: now,
          updatedAt: now,
          deletedAt: null,
        });
        await manager.insert(Incident, incident);
        await this.linkMonitors(manager, actor, incident.id, input.monitorIds ?? []);
        return incident;
      },
      (incident) => incident.id,
    );
  }

  /** Changes the given fields, audited; severity, phase and window are checked together. */
  update(actor: Actor, id: string, input: UpdateIncidentInput): Promise<Incident> {
    if (input.name != null) {
      checkName(input.name);
    }
    checkText(input.details, 'details');
    return this.change(actor, id, async (incident, manager, now) => {
      const severity = input.severity ?? incident.severity;
      const phase = input.phase ?? incident.phase;
      checkPhase(severity, phase);
      const willStartAt =
        input.willStartAt === undefined ? incident.willStartAt : input.willStartAt;
      const willEndAt = input.willEndAt === undefined ? incident.willEndAt : input.willEndAt;
      checkWindow(willStartAt, willEndAt);
      Object.assign(incident, {
        name: input.name ?? incident.name,
        details: input.details === undefined ? incident.details : input.details,
        severity,
        startedAt: input.startedAt ?? incident.startedAt,
        willStartAt,
        willEndAt,
      });
      moveToPhase(incident, phase, now);
      if (input.monitorIds !== undefined) {
        await this.setMonitors(manager, actor, incident.id, input.monitorIds ?? []);
      }
    });
  }

  /** Adds an update and moves the incident to its phase, audited. */
  addUpdate(actor: Actor, incidentId: string, input: IncidentUpdateInput): Promise<Incident> {
    checkText(input.message, 'message', true);
    return this.change(actor, incidentId, async (incident, manager, now) => {
      checkPhase(incident.severity, input.phase);
      moveToPhase(incident, input.phase, now);
      await manager.insert(IncidentUpdate, {
        id: randomUUID(),
        incidentId: incident.id,
        phase: input.phase,
        message: input.message,
        createdAt: now,
      });
    });
  }

  /** Closes the incident (RESOLVED, or COMPLETED for maintenance) with a closing update. */
  resolve(actor: Actor, id: string, message: string | null | undefined): Promise<Incident> {
    checkText(message, 'message');
    return this.change(actor, id, async (incident, manager, now) => {
      if (incident.resolvedAt !== null) {
        throw new UserInputError(
          'This incident is already resolved; addIncidentUpdate can reopen it.',
          'id',
        );
      }
      const phase = closingPhase(incident.severity);
      moveToPhase(incident, phase, now);
      await manager.insert(IncidentUpdate, {
        id: randomUUID(),
        incidentId: incident.id,
        phase,
        message: message?.trim()
          ? message
          : phase === IncidentPhase.COMPLETED
            ? 'Maintenance completed.'
            : 'Resolved.',
        createdAt: now,
      });
    });
  }

  /** Leaves a tombstone (deletedAt), hidden unless a list asks with includeDeleted. */
  delete(actor: Actor, id: string): Promise<string> {
    return this.change(actor, id, async (incident, _manager, now) => {
      incident.deletedAt = now;
    }).then((incident) => incident.id);
  }

  /** Links a new incident to its monitors: it has no links yet, so none to keep or delete. */
  /**
   * Links a new incident to `monitorIds` in one statement: an INSERT … SELECT of those among the
   * actor's monitors, so that fewer links than ids means one is not the actor's: NOT_FOUND, and
   * the transaction rolls back. One round trip instead of a count and an insert: each statement
   * of a write waits its turn on a busy server, holding its locks meanwhile (issue 13).
   */
  private async linkMonitors(
    manager: EntityManager,
    actor: Actor,
    incidentId: string,
    monitorIds: string[],
  ): Promise<void> {
    const ids = distinctMonitorIds(monitorIds);
    if (ids.length === 0) {
      return;
    }
    const scope =
      actor.boardScope === null
        ? ''
        : actor.boardScope.length === 0
          ? ' AND 1 = 0'
          : ' AND m.board_id IN (:...scopeBoardIds)';
    const [sql, parameters] = manager.connection.driver.escapeQueryWithParameters(
      'INSERT INTO "incident_monitor" ("incident_id", "monitor_id") ' +
        'SELECT :incidentId, m.id FROM "monitor" m ' +
        `WHERE m.id IN (:...ids) AND m.organization_id = :organizationId${scope}`,
      {
        incidentId,
        ids,
        organizationId: actor.organization.id,
        scopeBoardIds: [...(actor.boardScope ?? [])],
      },
      {},
    );
    if (!manager.queryRunner) {
      throw new Error("An incident's monitors are linked in its change's transaction.");
    }
    const { affected } = await manager.queryRunner.query(sql, parameters, true);
    if (affected !== ids.length) {
      throw new NotFoundError('Monitor');
    }
  }

  /** Replaces an incident's monitors with `monitorIds` (and those the actor cannot see). */
  private async setMonitors(
    manager: EntityManager,
    actor: Actor,
    incidentId: string,
    monitorIds: string[],
  ): Promise<void> {
    const ids = await this.visibleMonitorIds(manager, actor, monitorIds);
    // A scoped token's change never removes what it cannot see: links to monitors outside its
    // boards stay (API.md section 11).
    const hidden = await this.hiddenMonitorIds(manager, actor, incidentId);
    await manager.delete(IncidentMonitor, { incidentId });
    await this.insertLinks(manager, incidentId, [...new Set([...ids, ...hidden])]);
  }

  /** `monitorIds` without repeats, each one of the actor's monitors (else NOT_FOUND). */
  private async visibleMonitorIds(
    manager: EntityManager,
    actor: Actor,
    monitorIds: string[],
  ): Promise<string[]> {
    const ids = distinctMonitorIds(monitorIds);
    const found =
      ids.length === 0
        ? 0
        : await manager.countBy(Monitor, {
            id: In(ids),
            organizationId: actor.organization.id,
            ...boardScopeWhere(actor, 'boardId'),
          });
    if (found !== ids.length) {
      throw new NotFoundError('Monitor');
    }
    return ids;
  }

  private async insertLinks(
    manager: EntityManager,
    incidentId: string,
    monitorIds: string[],
  ): Promise<void> {
    if (monitorIds.length > 0) {
      await manager.insert(
        IncidentMonitor,
        monitorIds.map((monitorId) => ({ incidentId, monitorId })),
      );
    }
  }

  /** The incident's monitors that the actor's scope hides from it (none for organization-wide). */
  private async hiddenMonitorIds(
    manager: EntityManager,
    actor: Actor,
    incidentId: string,
  ): Promise<string[]> {
    if (actor.boardScope === null) {
      return [];
    }
    const links = await manager.findBy(IncidentMonitor, { incidentId });
    if (links.length === 0) {
      return [];
    }
    const monitors = await manager.findBy(Monitor, {
      id: In(links.map((link) => link.monitorId)),
    });
    return monitors
      .filter((monitor) => !isBoardInScope(actor, monitor.boardId))
      .map((monitor) => monitor.id);
  }

  private change(
    actor: Actor,
    id: string,
    edit: (incident: Incident, manager: EntityManager, now: Date) => Promise<void>,
  ): Promise<Incident> {
    const where = {
      id,
      organizationId: actor.organization.id,
      deletedAt: IsNull(),
      ...boardScopeWhere(actor, 'boardId'),
    };
    return this.changes.change(actor, { type: TARGET, entity: Incident, where }, edit);
  }
}

function moveToPhase(incident: Incident, phase: IncidentPhase, now: Date): void {
  if (isClosing(phase) && !isClosing(incident.phase)) {
    incident.resolvedAt = now;
  } else if (!isClosing(phase)) {
    incident.resolvedAt = null;
  }
  incident.phase = phase;
}

function checkPhase(severity: IncidentSeverity, phase: IncidentPhase): void {
  const maintenance = severity === IncidentSeverity.MAINTENANCE;
  if (maintenance !== MAINTENANCE_PHASES.includes(phase)) {
    throw new UserInputError(
      maintenance
        ? 'phase of a MAINTENANCE must be SCHEDULED, IN_PROGRESS, VERIFYING or COMPLETED.'
        : 'phase of an incident must be INVESTIGATING, IDENTIFIED, MONITORING or RESOLVED.',
      'phase',
    );
  }
}

function checkWindow(willStartAt: Date | null, willEndAt: Date | null): void {
  if (willStartAt && willEndAt && willEndAt.getTime() <= willStartAt.getTime()) {
    throw new UserInputError('willEndAt must be after willStartAt.', 'willEndAt');
  }
}

/** `monitorIds` without repeats; at most 1000 (else BAD_USER_INPUT). */
function distinctMonitorIds(monitorIds: string[]): string[] {
  const ids = [...new Set(monitorIds)];
  if (ids.length > 1000) {
    throw new UserInputError('monitorIds may hold at most 1000 monitors.', 'monitorIds');
  }
  return ids;
}
