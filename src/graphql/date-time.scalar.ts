import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { UserInputError } from '../core/errors';

// ISO 8601 with an explicit zone: 2027-01-01T00:00:00Z, ...00.000Z, ...00+02:00.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const RULE =
  'must be an ISO 8601 date-time with a time zone, e.g. 2027-01-01T00:00:00.000Z, naming a real ' +
  'calendar day and time in the years 1970–9999 (UTC)';

/** The range API.md section 5 fixes: what every database stores and returns unchanged. */
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

// Date.parse rolls 2027-02-30 over to March 2 and accepts 24:00; the fields must be checked.
function isRealInstant(match: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second = 0, offsetHours = 0, offsetMinutes = 0] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
  return (
    month !== undefined &&
    month >= 1 &&
    month <= 12 &&
    day !== undefined &&
    day >= 1 &&
    day <= daysInMonth &&
    hour !== undefined &&
    hour <= 23 &&
    minute !== undefined &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59
  );
}

/**
 * The API's one reading of a point in time (API.md section 5), for every way one comes in: the
 * scalar's, the exports' query strings, the command line's flags. UserInputError otherwise.
 */
export function parseDateTime(value: unknown): Date {
  const match = typeof value === 'string' ? ISO_8601.exec(value) : null;
  if (match && isRealInstant(match)) {
    const time = new Date(match[0]).getTime();
    if (time >= EARLIEST && time <= LATEST) {
      return new Date(time);
    }
  }
  throw new UserInputError(`DateTime ${RULE}.`);
}

/**
 * `parseDateTime` of a value that comes by a name of its own (a query-string parameter, a
 * command-line flag): the refusal names it instead of the type.
 */
export function parseNamedDateTime(name: string, value: string): Date {
  try {
    return parseDateTime(value);
  } catch {
    throw new UserInputError(`${name} ${RULE}.`, name);
  }
}

/** `DateTime`: ISO 8601 in UTC with milliseconds, as API.md section 5 fixes it. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'A point in time: ISO 8601 in UTC with milliseconds, e.g. 2027-01-01T00:00:00.000Z.',
  serialize(value) {
    if (value instanceof Date) {
      return value.toISOString();
    }
    // Rows read raw (without entity hydration) carry timestamps already converted to ISO strings.
    if (typeof value === 'string') {
      return value;
    }
    throw new TypeError('DateTime can only serialize a Date.');
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    try {
      return parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined);
    } catch (error) {
      // graphql-js reports a scalar's GraphQLError as it is: without its node, the client would
      // not learn where in the document the value is.
      throw error instanceof GraphQLError
        ? new GraphQLError(error.message, { nodes: ast, extensions: error.extensions })
        : error;
    }
  },
});
