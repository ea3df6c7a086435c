import { randomUUID } from 'node:crypto';
import { type EntityManager, In } from 'typeorm';
import type { AuditedChanges, ChangeOf } from '../audit/audited-changes';
import type { Board } from '../boards/board.entity';
import type { BoardService } from '../boards/board.service';
import type { Actor } from '../core/context';
import { boardScopeWhere, inBoardScope } from '../db/board-scope';
import type { Database } from '../db/database';
import {
  afterKey,
  type KeysetOrder,
  type Page,
  type PageArgs,
  pageOf,
  pageSize,
  paginate,
} from '../db/pagination';
import { checkText } from '../core/validation';
import { MonitorStatus } from './monitor-enums';
import { Monitor } from './monitor.entity';
import type {
  CreateMonitorInput,
  MonitorFilter,
  StatusEventFilter,
  UpdateMonitorInput,
} from './monitor.inputs';
import {
  DEFAULT_CHECK_INTERVAL_MINUTES,
  type MonitorShape,
  checkMonitorShape,
} from './monitor-rules';
import { StatusEvent } from './status-event.entity';
import { countsByParent, pagesByParent } from '../db/batched-pages';

const TARGET = 'Monitor';

const MONITOR_ORDER: KeysetOrder<Monitor> = {
  list: 'monitors',
  sortBy: 'createdAt',
  kind: 'timestamp',
  direction: 'ASC',
};

const STATUS_EVENT_ORDER: KeysetOrder<StatusEvent> = {
  list: 'statusEvents',
  sortBy: 'recordedAt',
  kind: 'timestamp',
  direction: 'DESC',
};

/** The board of a status event (alias `e`), for the scope: events have no board of their own. */
const EVENT_BOARD = '(SELECT em.board_id FROM monitor em WHERE em.id = e.monitorId)';

/** Work a monitor's deletion does in its transaction, for what another feature links to it. */
export type MonitorDeleteHook = (
  manager: EntityManager,
  monitorIds: string[],
  now: Date,
) => Promise<void>;

/** Monitors and their status history, organization-scoped. */
export class MonitorService {
  private readonly deleteHooks: MonitorDeleteHook[] = [];

  constructor(
    private readonly db: Database,
    private readonly changes: AuditedChanges,
    private readonly boards: BoardService,
  ) {}

  /** Registers work for monitors about to be deleted, run in the deletion's transaction first. */
  onDelete(hook: MonitorDeleteHook): void {
    this.deleteHooks.push(hook);
  }

  /** The actor's monitor, or null (as for one on a board outside a scoped token's boards). */
  get(actor: Actor, id: string): Promise<Monitor | null> {
    return this.db.reader.findOneBy(Monitor, {
      id,
      organizationId: actor.organization.id,
      ...boardScopeWhere(actor, 'boardId'),
    });
  }

  /** A monitor by id for nested fields, batched per request. */
  load(actor: Actor, id: string): Promise<Monitor | null> {
    return actor.loaders
      .get<Monitor | null>(
        'monitor.byId',
        async (ids) => {
          const monitors = await this.db.reader.findBy(Monitor, {
            id: In([...ids]),
            organizationId: actor.organization.id,
            ...boardScopeWhere(actor, 'boardId'),
          });
          return new Map(monitors.map((monitor) => [monitor.id, monitor]));
        },
        null,
      )
      .load(id);
  }

  /** Oldest first, by `(createdAt, id)`. */
  list(actor: Actor, filter: MonitorFilter | undefined, page: PageArgs): Promise<Page<Monitor>> {
    const query = this.filtered(actor, filter);
    if (filter?.boardId != null) {
      query.andWhere('m.boardId = :boardId', { boardId: filter.boardId });
    }
    return paginate(this.db, query, MONITOR_ORDER, page);
  }

  /**
   * A board's monitors (`Board.monitors`), oldest first. The pages of every board of a list are
   * read in one statement, their counts in another.
   */
  ofBoard(
    actor: Actor,
    boardId: string,
    filter: MonitorFilter | undefined,
    page: PageArgs,
  ): Promise<Page<Monitor>> {
    const size = pageSize(page.first);
    const key = JSON.stringify([filter?.monitorType, filter?.status]);
    const counts = actor.loaders.get<number>(
      `board.monitors.count:${key}`,
      (boardIds) => countsByParent(this.filtered(actor, filter), 'boardId', boardIds),
      0,
    );
    return actor.loaders
      .get<Monitor[]>(
        `board.monitors:${key}:${size}:${afterKey(page.after)}`,
        (boardIds) =>
          pagesByParent(
            this.db,
            this.filtered(actor, filter),
            'boardId',
            boardIds,
            MONITOR_ORDER,
            page,
            {
              entity: true,
            },
          ),
        [],
      )
      .load(boardId)
      .then((rows) => pageOf(rows, size, MONITOR_ORDER, () => counts.load(boardId)));
  }

  private filtered(actor: Actor, filter: MonitorFilter | undefined) {
    const query = this.db.reader
      .createQueryBuilder(Monitor, 'm')
      .where('m.organizationId = :org', { org: actor.organization.id });
    inBoardScope(query, actor, 'm.boardId');
    if (filter?.monitorType != null) {
      query.andWhere('m.monitorType = :monitorType', { monitorType: filter.monitorType });
    }
    if (filter?.status != null) {
      query.andWhere('m.status = :status', { status: filter.status });
    }
    return query;
  }

  /**
   * One monitor's status events, newest first (`Monitor.statusEvents`). The pages of every
   * monitor of a list, after a cursor or not, are read in one statement (a window query numbers
   * each monitor's events), their counts in another: two statements for 1000 monitors.
   */
  statusEventsOf(actor: Actor, monitorId: string, page: PageArgs): Promise<Page<StatusEvent>> {
    const size = pageSize(page.first);
    const events = () =>
      inBoardScope(
        this.db.reader
          .createQueryBuilder(StatusEvent, 'e')
          .where('e.organizationId = :org', { org: actor.organization.id }),
        actor,
        EVENT_BOARD,
      );
    const counts = actor.loaders.get<number>(
      'monitor.statusEvents.count',
      (monitorIds) => countsByParent(events(), 'monitorId', monitorIds),
      0,
    );
    return actor.loaders
      .get<StatusEvent[]>(
        `monitor.statusEvents:${size}:${afterKey(page.after)}`,
        (monitorIds) =>
          pagesByParent(this.db, events(), 'monitorId', monitorIds, STATUS_EVENT_ORDER, page, {
            entity: true,
          }),
        [],
      )
      .load(monitorId)
      .then((rows) => pageOf(rows, size, STATUS_EVENT_ORDER, () => counts.load(monitorId)));
  }

  /** Newest first, by `(recordedAt, id)`. */
  statusEvents(
    actor: Actor,
    filter: StatusEventFilter | undefined,
    page: PageArgs,
  ): Promise<Page<StatusEvent>> {
    const query = this.db.reader
      .createQueryBuilder(StatusEvent, 'e')
      .where('e.organizationId = :org', { org: actor.organization.id });
    inBoardScope(query, actor, EVENT_BOARD);
    if (filter?.monitorId != null) {
      query.andWhere('e.monitorId = :monitorId', { monitorId: filter.monitorId });
    }
    if (filter?.status != null) {
      query.andWhere('e.status = :status', { status: filter.status });
    }
    if (filter?.recordedAfter) {
      query.andWhere('e.recordedAt > :recordedAfter', {
        recordedAfter: this.db.timestamp(filter.recordedAfter),
      });
    }
    if (filter?.recordedBefore) {
      query.andWhere('e.recordedAt < :recordedBefore', {
        recordedBefore: this.db.timestamp(filter.recordedBefore),
      });
    }
    return paginate(this.db, query, STATUS_EVENT_ORDER, page);
  }

  /** A new monitor on one of the actor's boards, audited; its shape is checked first. */
  create(actor: Actor, input: CreateMonitorInput): Promise<Monitor> {
    const shape: MonitorShape = {
      monitorType: input.monitorType,
      displayName: input.displayName,
      url: input.url ?? null,
      host: input.host ?? null,
      serviceName: input.serviceName ?? null,
      checkIntervalMinutes: input.checkIntervalMinutes ?? DEFAULT_CHECK_INTERVAL_MINUTES,
      requestHeaders: input.requestHeaders
        ? input.requestHeaders.map(({ name, value }) => ({ name, value }))
        : null,
    };
    checkMonitorShape(shape);
    return this.changes.record(
      actor,
      TARGET,
      async (manager) => {
        const board = await this.boards.hold(manager, actor, input.boardId);
        const now = this.db.now();
        const monitor = Object.assign(new Monitor(), {
          id: randomUUID(),
          organizationId: actor.organization.id,
          boardId: board.id,
          ...withoutHeaders(shape),
          requestHeadersJson:
            shape.requestHeaders === null ? null : JSON.stringify(shape.requestHeaders),
          status: MonitorStatus.UNKNOWN,
          paused: false,
          lastCheckedAt: null,
          createdAt: now,
          updatedAt: now,
        });
        await manager.insert(Monitor, monitor);
        return monitor;
      },
      (monitor) => monitor.id,
    );
  }

  /** Changes the given fields (the shape is checked as a whole), audited. */
  update(actor: Actor, id: string, input: UpdateMonitorInput): Promise<Monitor> {
    return this.change(actor, id, async (monitor, manager) => {
      const pick = <K extends 'url' | 'host' | 'serviceName'>(key: K) =>
        input[key] === undefined ? monitor[key] : (input[key] ?? null);
      const shape: MonitorShape = {
        monitorType: monitor.monitorType,
        displayName: input.displayName ?? monitor.displayName,
        url: pick('url'),
        host: pick('host'),
        serviceName: pick('serviceName'),
        checkIntervalMinutes: input.checkIntervalMinutes ?? monitor.checkIntervalMinutes,
        requestHeaders:
          input.requestHeaders === undefined
            ? monitor.requestHeaders
            : (input.requestHeaders?.map(({ name, value }) => ({ name, value })) ?? null),
      };
      checkMonitorShape(shape);
      if (input.boardId != null && input.boardId !== monitor.boardId) {
        monitor.boardId = (await this.boards.hold(manager, actor, input.boardId)).id;
      }
      Object.assign(monitor, withoutHeaders(shape), {
        requestHeadersJson:
          shape.requestHeaders === null ? null : JSON.stringify(shape.requestHeaders),
      });
    });
  }

  /** Stops checks; the status stays as it was. Audited. */
  pause(actor: Actor, id: string): Promise<Monitor> {
    return this.change(actor, id, async (monitor) => {
      monitor.paused = true;
    });
  }

  /** Starts checks again. Audited. */
  resume(actor: Actor, id: string): Promise<Monitor> {
    return this.change(actor, id, async (monitor) => {
      monitor.paused = false;
    });
  }

  /**
   * Records a report. A StatusEvent is written only when the status really changes; the first
   * report's previousStatus is UNKNOWN. Every report moves lastCheckedAt.
   */
  setStatus(
    actor: Actor,
    id: string,
    status: MonitorStatus,
    message: string | null | undefined,
  ): Promise<Monitor> {
    checkText(message, 'message');
    return this.change(actor, id, async (monitor, manager, now) => {
      if (status !== monitor.status) {
        await manager.insert(StatusEvent, {
          id: randomUUID(),
          organizationId: actor.organization.id,
          monitorId: monitor.id,
          status,
          previousStatus: monitor.status,
          message: message ?? null,
          recordedAt: now,
        });
        monitor.status = status;
      }
      monitor.lastCheckedAt = now;
    });
  }

  /**
   * Deletes the monitor with its status history; incidents that listed it keep existing without
   * it (their updatedAt moves, so a sync sees the change). Returns its id.
   */
  delete(actor: Actor, id: string): Promise<string> {
    return this.changes.record(
      actor,
      TARGET,
      async (manager) => {
        const monitor = await this.changes.lock(manager, this.changeOf(actor, id));
        await this.runDeleteHooks(manager, [monitor.id], this.db.now());
        await manager.delete(Monitor, { id: monitor.id });
        return id;
      },
      (deleted) => deleted,
    );
  }

  /** Deletes a board's monitors with their history, in the board's deletion (a board hook). */
  async deleteOfBoard(
    manager: EntityManager,
    actor: Actor,
    board: Board,
    now: Date,
  ): Promise<void> {
    const where = { boardId: board.id, organizationId: actor.organization.id };
    const monitors = await manager.findBy(Monitor, where);
    await this.runDeleteHooks(
      manager,
      monitors.map((monitor) => monitor.id),
      now,
    );
    await manager.delete(Monitor, where);
  }

  private async runDeleteHooks(manager: EntityManager, ids: string[], now: Date): Promise<void> {
    for (const hook of this.deleteHooks) {
      await hook(manager, ids, now);
    }
  }

  private changeOf(actor: Actor, id: string): ChangeOf<Monitor> {
    return {
      type: TARGET,
      entity: Monitor,
      where: { id, organizationId: actor.organization.id, ...boardScopeWhere(actor, 'boardId') },
    };
  }

  private change(
    actor: Actor,
    id: string,
    edit: (monitor: Monitor, manager: EntityManager, now: Date) => Promise<void>,
  ): Promise<Monitor> {
    return this.changes.change(actor, this.changeOf(actor, id), edit);
  }
}

function withoutHeaders(shape: MonitorShape): Omit<MonitorShape, 'requestHeaders'> {
  const { requestHeaders: _headers, ...rest } = shape;
  return rest;
}
