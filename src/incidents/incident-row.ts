import { isoTimestamp } from '../db/raw-rows';
import type { Incident } from './incident.entity';

type TimestampKey =
  | 'startedAt'
  | 'resolvedAt'
  | 'willStartAt'
  | 'willEndAt'
  | 'createdAt'
  | 'updatedAt'
  | 'deletedAt';

/**
 * An incident as list pages carry it: the columns a page can show (and `boardId`, for its
 * board), read raw, timestamps as the ISO strings the DateTime scalar sends. Without entity
 * hydration (a Date per timestamp), a 1000-row page costs about half as much before GraphQL.
 */
export type IncidentRow = Omit<Incident, 'organizationId' | TimestampKey> & {
  [K in TimestampKey]: Incident[K] extends Date ? string : string | null;
};

/** What the field resolvers of an incident read from their parent, entity or row. */
export type IncidentKeys = Pick<Incident, 'id' | 'boardId'>;

/** A row of `incidentSelection` as the driver returns it. */
type RawIncident = Omit<IncidentRow, TimestampKey> & {
  [K in TimestampKey]: Incident[K] extends Date ? string | Date : string | Date | null;
};

const KEYS: readonly (keyof IncidentRow)[] = [
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
];

/** `[property path, result name]` of each column, for `select` on a query builder of `alias`. */
export function incidentSelection(alias: string): [string, string][] {
  return KEYS.map((key) => [`${alias}.${key}`, key]);
}

/**
 * The row becomes the node in place (its keys are already the property names): no second
 * object per row, only its timestamps rewritten as ISO strings.
 */
export function toIncidentRow(raw: RawIncident): IncidentRow {
  raw.startedAt = isoTimestamp(raw.startedAt);
  raw.resolvedAt = isoTimestamp(raw.resolvedAt);
  raw.willStartAt = isoTimestamp(raw.willStartAt);
  raw.willEndAt = isoTimestamp(raw.willEndAt);
  raw.createdAt = isoTimestamp(raw.createdAt);
  raw.updatedAt = isoTimestamp(raw.updatedAt);
  raw.deletedAt = isoTimestamp(raw.deletedAt);
  return raw as IncidentRow;
}
