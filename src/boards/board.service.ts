import { randomUUID } from 'node:crypto';
import { type EntityManager, In, IsNull } from 'typeorm';
import type { AuditedChanges, ChangeOf } from '../audit/audited-changes';
import type { Actor } from '../core/context';
import { boardIdInScope, inBoardScope, isBoardInScope } from '../db/board-scope';
import type { Database } from '../db/database';
import { NotFoundError } from '../core/errors';
import { type Page, type PageArgs, paginate } from '../db/pagination';
import { checkName } from '../core/validation';
import { Board } from './board.entity';
import { hydratedDate } from '../db/raw-rows';
import type { CreateBoardInput, UpdateBoardInput } from './board.inputs';

const TARGET = 'Board';

/** Work a board's deletion does in its own transaction, for what another feature hangs off it. */
export type BoardDeleteHook = (
  manager: EntityManager,
  actor: Actor,
  board: Board,
  now: Date,
) => Promise<void>;

interface BoardColumns {
  id: string;
  organizationId: string;
  name: string;
  createdAt: string | Date;
  updatedAt: string | Date;
}

const BOARD_BY_ID = `SELECT id, organization_id AS "organizationId", name,
  created_at AS "createdAt", updated_at AS "updatedAt"
  FROM "board" WHERE id = :id AND organization_id = :org AND deleted_at IS NULL`;

/** Boards of the actor's organization. */
export class BoardService {
  private readonly deleteHooks: BoardDeleteHook[] = [];

  constructor(
    private readonly db: Database,
    private readonly changes: AuditedChanges,
  ) {}

  /**
   * Registers what must go, or change, with a deleted board; hooks run in the order registered,
   * inside the deletion's transaction, before the board itself is hidden.
   */
  onDelete(hook: BoardDeleteHook): void {
    this.deleteHooks.push(hook);
  }

  /** The actor's live board, or null (as for a board outside a scoped token's boards). */
  async get(actor: Actor, id: string): Promise<Board | null> {
    if (!isBoardInScope(actor, id)) {
      return null;
    }
    // Raw and hydrated here: the query builder cost more CPU than the rest of `board(id)`.
    const [row] = await this.db.read<BoardColumns>(BOARD_BY_ID, {
      id,
      org: actor.organization.id,
    });
    return row
      ? Object.assign(new Board(), {
          id: row.id,
          organizationId: row.organizationId,
          name: row.name,
          createdAt: hydratedDate(row.createdAt),
          updatedAt: hydratedDate(row.updatedAt),
          deletedAt: null,
        })
      : null;
  }

  /**
   * Boards by id for nested fields, batched per request. Deleted boards are included: they are
   * reached only through the tombstones of their incidents.
   */
  load(actor: Actor, id: string): Promise<Board | null> {
    return actor.loaders
      .get<Board | null>(
        'board.byId',
        async (ids) => {
          const boards = await this.db.reader.findBy(Board, {
            id: In([...ids]),
            organizationId: actor.organization.id,
          });
          const visible = boards.filter((board) => isBoardInScope(actor, board.id));
          return new Map(visible.map((board) => [board.id, board]));
        },
        null,
      )
      .load(id);
  }

  /** Oldest first, by `(createdAt, id)`. */
  list(actor: Actor, page: PageArgs): Promise<Page<Board>> {
    const query = this.db.reader
      .createQueryBuilder(Board, 'b')
      .where('b.organizationId = :org', { org: actor.organization.id })
      .andWhere('b.deletedAt IS NULL');
    inBoardScope(query, actor, 'b.id');
    return paginate(
      this.db,
      query,
      { list: 'boards', sortBy: 'createdAt', kind: 'timestamp', direction: 'ASC' },
      page,
    );
  }

  /** Every live board of an organization, oldest first: for the command line. */
  listAll(organizationId: string): Promise<Board[]> {
    return this.db.reader.find(Board, {
      where: { organizationId, deletedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** A new board, audited. */
  create(actor: Actor, input: CreateBoardInput): Promise<Board> {
    checkName(input.name);
    return this.changes.record(
      actor,
      TARGET,
      async (manager) => {
        const now = this.db.now();
        const board = Object.assign(new Board(), {
          id: randomUUID(),
          organizationId: actor.organization.id,
          name: input.name,
          createdAt: now,
          updatedAt: now,
        });
        await manager.insert(Board, board);
        return board;
      },
      (board) => board.id,
    );
  }

  /** Renames the board, audited. */
  update(actor: Actor, id: string, input: UpdateBoardInput): Promise<Board> {
    if (input.name !== undefined && input.name !== null) {
      checkName(input.name);
    }
    return this.changes.change(actor, this.changeOf(actor, id), async (board) => {
      if (input.name !== undefined && input.name !== null) {
        board.name = input.name;
      }
    });
  }

  /**
   * Deletes the board with what hangs off it, in one transaction: the features that hang things
   * off a board do their part through `onDelete` hooks (monitors go, incidents become tombstones).
   * The board row stays, hidden everywhere, so that tombstones still name their board. Returns
   * the board's id.
   */
  delete(actor: Actor, id: string): Promise<string> {
    return this.changes.record(
      actor,
      TARGET,
      async (manager) => {
        const board = await this.find(manager, actor, id);
        const now = this.db.now();
        for (const hook of this.deleteHooks) {
          await hook(manager, actor, board, now);
        }
        await manager.update(Board, { id: board.id }, { deletedAt: now, updatedAt: now });
        return id;
      },
      (deleted) => deleted,
    );
  }

  /** The live board, for a change in `manager`'s transaction; NOT_FOUND when not the actor's. */
  find(manager: EntityManager, actor: Actor, id: string): Promise<Board> {
    return this.changes.lock(manager, this.changeOf(actor, id));
  }

  /**
   * The live board, kept from deletion until `manager`'s transaction ends, for a change that
   * hangs something off it (an incident, a monitor); NOT_FOUND when not the actor's. Such
   * changes of one board go on side by side: only a change of the board itself waits for them.
   */
  hold(manager: EntityManager, actor: Actor, id: string): Promise<Board> {
    return this.changes.lock(manager, this.changeOf(actor, id), true);
  }

  /**
   * Checks that every id is a live board of the organization, locking them (PostgreSQL) so that
   * a concurrent deletion waits: a token's scope is made only of boards that exist.
   */
  async assertLive(manager: EntityManager, organizationId: string, ids: string[]): Promise<void> {
    const found = await manager.find(Board, {
      where: { id: In(ids), organizationId, deletedAt: IsNull() },
      ...this.db.forUpdate,
    });
    if (found.length !== ids.length) {
      throw new NotFoundError(TARGET);
    }
  }

  private changeOf(actor: Actor, id: string): ChangeOf<Board> {
    return {
      type: TARGET,
      entity: Board,
      where: {
        id: boardIdInScope(actor, id),
        organizationId: actor.organization.id,
        deletedAt: IsNull(),
      },
    };
  }
}
