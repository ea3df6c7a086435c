import type { EntityMetadata } from 'typeorm';
import { CoalescedLookup } from '../core/coalesced-lookup';
import type { Database } from '../db/database';
import type { SideRead, SideValues } from '../db/side-read';
import { Organization } from '../organizations/organization.entity';
import { ApiToken } from './api-token.entity';
import { ApiTokenBoard } from './api-token-board.entity';

type HashColumn = 'secretHash' | 'previousSecretHash';

/** The column of a board-scoped token's boards, comma-separated. */
const SCOPE = 'scope_board_ids';

/** The most secrets one coalesced look-up asks for (SQLite allows 32,766 parameters). */
const MAX_COALESCED = 500;

type Row = Record<string, unknown>;

/**
 * Authentication's look-up, the one statement on every request: a token by a hash of its
 * secret, with its organization, the boards of a board-scoped token, and whatever rides along
 * (auth's failure count). Its SQL is
 * written once per shape from the entities' metadata, not by a query builder per request; on
 * PostgreSQL it is a named statement (parsed and planned once per connection), sent straight to
 * the pool. Rows are hydrated as TypeORM hydrates them (the driver's own value conversions).
 *
 * On SQLite the look-ups of requests that arrive together are coalesced (core/coalesced-lookup.ts):
 * its one reading connection runs one statement at a time, and under load a look-up each would
 * queue behind the others, one main-thread turn apiece (measured under `npm run load`: up to
 * 450 ms before a mutation could start). Each request still gets an entity of its own.
 */
export class SecretLookup {
  private readonly statements = new Map<string, { name: string; sql: string }>();
  private readonly coalesced = new Map<HashColumn, CoalescedLookup<string, Row>>();

  constructor(private readonly db: Database) {}

  async find(
    column: HashColumn,
    hash: string,
    alongside?: SideRead,
  ): Promise<{ token: ApiToken | null; alongside?: SideValues }> {
    const row =
      alongside === undefined && this.db.isSqlite
        ? await this.coalescedLookup(column).get(hash)
        : (await this.rows(column, { hash, ...alongside?.parameters }, false, alongside))[0];
    if (row === undefined) {
      return { token: null };
    }
    const token = this.hydrate(new ApiToken(), this.metadata(ApiToken), 't', row);
    token.organization = this.hydrate(new Organization(), this.metadata(Organization), 'o', row);
    if (token.boardScoped) {
      const boards = row[SCOPE];
      token.scopeBoardIds = typeof boards === 'string' && boards !== '' ? boards.split(',') : [];
    }
    return { token, alongside: alongside === undefined ? undefined : row };
  }

  /** The rows of the look-up by one hash (`:hash`) or, batched, by several (`:...hashes`). */
  private async rows(
    column: HashColumn,
    parameters: Record<string, unknown>,
    batched: boolean,
    alongside?: SideRead,
  ): Promise<Row[]> {
    const { name, sql } = this.statement(column, alongside, batched);
    const driver = this.db.readSource.driver;
    const [text, values] = driver.escapeQueryWithParameters(sql, parameters, {});
    const pool = this.db.postgresPool;
    return pool
      ? (await pool.query({ name, text, values })).rows
      : this.db.reader.query(text, values);
  }

  private coalescedLookup(column: HashColumn): CoalescedLookup<string, Row> {
    let lookup = this.coalesced.get(column);
    if (lookup === undefined) {
      const hashAlias = `t_${this.hashColumn(column)}`;
      lookup = new CoalescedLookup(async (hashes) => {
        const byHash = new Map<string, Row>();
        for (const row of await this.rows(column, { hashes }, true)) {
          const hash = String(row[hashAlias]);
          if (!byHash.has(hash)) {
            byHash.set(hash, row);
          }
        }
        return byHash;
      }, MAX_COALESCED);
      this.coalesced.set(column, lookup);
    }
    return lookup;
  }

  private hashColumn(column: HashColumn): string {
    return this.metadata(ApiToken).findColumnWithPropertyName(column)?.databaseName ?? column;
  }

  private statement(column: HashColumn, alongside: SideRead | undefined, batched: boolean) {
    const sides = Object.entries(alongside?.columns ?? {});
    const key = `${column}${batched ? ' IN' : ''}\n${sides.map(([alias, sql]) => `${alias}=${sql}`).join('\n')}`;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      const driver = this.db.readSource.driver;
      const q = (identifier: string) => driver.escape(identifier);
      const select = (alias: string, metadata: EntityMetadata) =>
        metadata.columns.map(
          (c) => `${q(alias)}.${q(c.databaseName)} AS ${q(`${alias}_${c.databaseName}`)}`,
        );
      const token = this.metadata(ApiToken);
      const organization = this.metadata(Organization);
      const hashColumn = this.hashColumn(column);
      const concat = this.db.isSqlite ? 'group_concat' : 'string_agg';
      // A board-scoped token's boards (ids never hold a comma), in the same statement.
      const scope =
        `CASE WHEN ${q('t')}.${q('board_scoped')} THEN (SELECT ${concat}(${q('s')}.${q('board_id')}, ',') ` +
        `FROM ${q(this.metadata(ApiTokenBoard).tableName)} ${q('s')} ` +
        `WHERE ${q('s')}.${q('token_id')} = ${q('t')}.${q('id')}) END AS ${q(SCOPE)}`;
      const sql =
        `SELECT ${[
          ...select('t', token),
          ...select('o', organization),
          scope,
          ...sides.map(([alias, subquery]) => `(${subquery}) AS ${q(alias)}`),
        ].join(', ')} ` +
        `FROM ${q(token.tableName)} ${q('t')} ` +
        `INNER JOIN ${q(organization.tableName)} ${q('o')} ON ${q('o')}.${q('id')} = ${q('t')}.${q('organization_id')} ` +
        `WHERE ${q('t')}.${q(hashColumn)} ${batched ? 'IN (:...hashes)' : '= :hash'}`;
      statement = { name: `secret-lookup-${this.statements.size + 1}`, sql };
      this.statements.set(key, statement);
    }
    return statement;
  }

  private metadata(
    entity: typeof ApiToken | typeof Organization | typeof ApiTokenBoard,
  ): EntityMetadata {
    return this.db.readSource.getMetadata(entity);
  }

  private hydrate<T extends object>(
    entity: T,
    metadata: EntityMetadata,
    alias: string,
    row: Record<string, unknown>,
  ): T {
    const driver = this.db.readSource.driver;
    for (const column of metadata.columns) {
      const value = row[`${alias}_${column.databaseName}`];
      column.setEntityValue(entity, driver.prepareHydratedValue(value, column));
    }
    return entity;
  }
}
