import type { GraphQLResolveInfo } from 'graphql';
import type { Board } from '../boards/board.entity';
import type { Database } from '../db/database';
import { isoTimestamp, isoTimestampSql } from '../db/raw-rows';
import { connectionNodeFields, fieldsOf, selectionSetsOf } from '../graphql/selected-fields';
import type { Monitor } from '../monitors/monitor.entity';
import type { Incident } from './incident.entity';

type TimestampKey =
  | 'startedAt'
  | 'resolvedAt'
  | 'willStartAt'
  | 'willEndAt'
  | 'createdAt'
  | 'updatedAt'
  | 'deletedAt';

/** An incident's column as a list row carries it: timestamps as the ISO text DateTime sends. */
type RowColumns = Omit<Incident, 'organizationId' | TimestampKey> & {
  [K in TimestampKey]: Incident[K] extends Date ? string : string | null;
};

/** A board as an incident row carries it when the page asks for it, read in the same statement. */
export type BoardRow = Pick<Board, 'id'> &
  Partial<Record<'name' | 'createdAt' | 'updatedAt', string>>;

/**
 * An incident as list pages carry it: the row straight from the driver, with only the columns
 * the page asks for (`id` and `boardId` always, and the list's sort key for its cursors), its
 * timestamps already the ISO text the DateTime scalar sends (converted in SQL: no Date per
 * value, no string built per value in JavaScript), and, when asked for, its board joined and its
 * monitors read for the whole page, so that those fields resolve without a promise per row.
 */
export type IncidentRow = Pick<RowColumns, 'id' | 'boardId'> &
  Partial<RowColumns> & { joinedBoard?: BoardRow; joinedMonitors?: Monitor[] };

/**
 * What the field resolvers of an incident read from their parent, entity or row (a row's joined
 * board and monitors are read by the schema itself: `JoinedFrom`).
 */
export type IncidentKeys = Pick<Incident, 'id' | 'boardId'>;

const COLUMNS = [
  'id',
  'boardId',
  'name',
  'details',
  'severity',
  'phase',
  'startedAt',
  'resolvedAt',
  'willStartAt',
  'willEndAt',
  'createdAt',
  'updatedAt',
  'deletedAt',
] as const satisfies readonly (keyof RowColumns)[];
type ColumnKey = (typeof COLUMNS)[number];

const TIMESTAMPS: ReadonlySet<string> = new Set<TimestampKey>([
  'startedAt',
  'resolvedAt',
  'willStartAt',
  'willEndAt',
  'createdAt',
  'updatedAt',
  'deletedAt',
]);
const BOARD_COLUMNS = ['name', 'createdAt', 'updatedAt'] as const;

/** What a page of incidents reads besides its rows' identity. */
export interface IncidentReading {
  /** The incident columns asked for. */
  columns: ReadonlySet<string>;
  /** The board's columns asked for (its id is the incident's boardId); null: no board. */
  board: ReadonlySet<string> | null;
  /** Whether the page's monitors are read with it. */
  monitors: boolean;
}

/** Every column, nothing joined: for callers without a GraphQL selection (exports, say). */
export const EVERY_COLUMN: IncidentReading = {
  columns: new Set(COLUMNS),
  board: null,
  monitors: false,
};

/** What the connection field of `info` asks of its incidents. */
export function incidentReadingOf(info: GraphQLResolveInfo): IncidentReading {
  const fields = connectionNodeFields(info);
  const board = fields.get('board');
  return {
    columns: new Set(COLUMNS.filter((key) => fields.has(key))),
    board: board ? new Set(fieldsOf(selectionSetsOf(board), info).keys()) : null,
    monitors: fields.has('monitors'),
  };
}

/** A key of `reading` for a per-request loader: pages read differently never share one. */
export function readingKey(reading: IncidentReading): string {
  return `${[...reading.columns].join(',')}|${reading.board ? [...reading.board].join(',') : '-'}|${reading.monitors}`;
}

/**
 * `[SQL expression, result name]` of each column `reading` needs on a query builder of `alias`
 * (`sortBy` always, for the cursors); the board's from `boardAlias`, which the caller joins.
 */
export function incidentSelection(
  db: Database,
  alias: string,
  reading: IncidentReading,
  sortBy: ColumnKey,
  boardAlias: string,
): [string, string][] {
  const keys = COLUMNS.filter(
    (key) => key === 'id' || key === 'boardId' || key === sortBy || reading.columns.has(key),
  );
  const selection = keys.map((key): [string, string] => [
    TIMESTAMPS.has(key) ? isoTimestampSql(db, `${alias}.${key}`) : `${alias}.${key}`,
    key,
  ]);
  for (const key of BOARD_COLUMNS) {
    if (reading.board?.has(key)) {
      selection.push([
        key === 'name' ? `${boardAlias}.name` : isoTimestampSql(db, `${boardAlias}.${key}`),
        `board_${key}`,
      ]);
    }
  }
  return selection;
}

type RawIncident = IncidentRow & { [K in `board_${(typeof BOARD_COLUMNS)[number]}`]?: string };
type Timestamped = Record<string, string | null | undefined>;

/**
 * Turns the rows of `incidentSelection` into nodes in place. On SQLite the timestamps read
 * (those of `reading`, and the sort key) become ISO text here (PostgreSQL's already are). The
 * board's columns become one board object per board of the page, shared by its rows.
 */
export function incidentNodes(
  db: Database,
  reading: IncidentReading,
  sortBy: ColumnKey,
): (raw: RawIncident) => IncidentRow {
  const timestamps = db.isSqlite
    ? COLUMNS.filter((key) => TIMESTAMPS.has(key) && (key === sortBy || reading.columns.has(key)))
    : [];
  const boardTimestamps = db.isSqlite
    ? BOARD_COLUMNS.filter((key) => key !== 'name' && reading.board?.has(key)).map(
        (key) => `board_${key}` as const,
      )
    : [];
  const boards = new Map<string, BoardRow>();
  return (raw) => {
    const row = raw as unknown as Timestamped;
    for (const key of timestamps) {
      const value = row[key];
      row[key] = value == null ? null : isoTimestamp(value);
    }
    if (reading.board) {
      let board = boards.get(raw.boardId);
      if (!board) {
        for (const key of boardTimestamps) {
          row[key] = isoTimestamp(row[key] as string);
        }
        board = {
          id: raw.boardId,
          name: raw.board_name,
          createdAt: raw.board_createdAt,
          updatedAt: raw.board_updatedAt,
        };
        boards.set(raw.boardId, board);
      }
      raw.joinedBoard = board;
    }
    return raw;
  };
}
