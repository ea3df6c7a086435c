import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AuditLogService } from '../audit/audit-log.service';
import type { Actor } from '../context';
import type { Database } from '../db/database';
import { type Page, type PageArgs, paginate } from '../db/pagination';
import { NotFoundError } from '../errors';
import { checkName } from '../validation';
import { Board } from './board.entity';
import type { CreateBoardInput, UpdateBoardInput } from './board.inputs';

const TARGET = 'Board';

/** Boards of the actor's organization. */
export class BoardService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLogService,
  ) {}

  get(actor: Actor, id: string): Promise<Board | null> {
    return this.db.reader.findOneBy(Board, { id, organizationId: actor.organization.id });
  }

  /** Oldest first, by `(createdAt, id)`. */
  list(actor: Actor, page: PageArgs): Promise<Page<Board>> {
    const query = this.db.reader
      .createQueryBuilder(Board, 'b')
      .where('b.organizationId = :org', { org: actor.organization.id });
    return paginate(
      this.db,
      query,
      { sortBy: 'createdAt', kind: 'timestamp', direction: 'ASC' },
      page,
    );
  }

  create(actor: Actor, input: CreateBoardInput): Promise<Board> {
    checkName(input.name);
    return this.db.write(async (manager) => {
      const now = new Date();
      const board = Object.assign(new Board(), {
        id: randomUUID(),
        organizationId: actor.organization.id,
        name: input.name,
        createdAt: now,
        updatedAt: now,
      });
      await manager.insert(Board, board);
      await this.audit.succeeded(manager, actor, { type: TARGET, id: board.id });
      return board;
    });
  }

  update(actor: Actor, id: string, input: UpdateBoardInput): Promise<Board> {
    if (input.name !== undefined && input.name !== null) {
      checkName(input.name);
    }
    return this.db.write(async (manager) => {
      const board = await this.load(manager, actor, id);
      if (input.name !== undefined && input.name !== null) {
        board.name = input.name;
      }
      board.updatedAt = new Date();
      await manager.save(Board, board);
      await this.audit.succeeded(manager, actor, { type: TARGET, id });
      return board;
    });
  }

  /** Deletes the board; returns its id. */
  delete(actor: Actor, id: string): Promise<string> {
    return this.db.write(async (manager) => {
      const board = await this.load(manager, actor, id);
      await manager.delete(Board, { id: board.id });
      await this.audit.succeeded(manager, actor, { type: TARGET, id });
      return id;
    });
  }

  private async load(manager: EntityManager, actor: Actor, id: string): Promise<Board> {
    const board = await manager.findOneBy(Board, { id, organizationId: actor.organization.id });
    if (!board) {
      throw new NotFoundError(TARGET);
    }
    return board;
  }
}
