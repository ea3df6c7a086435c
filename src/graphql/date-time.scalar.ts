import { GraphQLScalarType, Kind } from 'graphql';
import { UserInputError } from '../core/errors';

// ISO 8601 with an explicit zone: 2027-01-01T00:00:00Z, ...00.000Z, ...00+02:00.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const RULE = 'must be an ISO 8601 date-time with a time zone, e.g. 2027-01-01T00:00:00.000Z';

function parse(value: unknown): Date {
  if (typeof value === 'string' && ISO_8601.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) {
      return date;
    }
  }
  throw new UserInputError(`DateTime ${RULE}.`);
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
  parseValue: parse,
  parseLiteral(ast) {
    return parse(ast.kind === Kind.STRING ? ast.value : undefined);
  },
});
