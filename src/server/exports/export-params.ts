import { UserInputError } from '../../core/errors';
import { parseNamedDateTime } from '../../graphql/date-time.scalar';
import { ID } from '../../graphql/id.scalar';

/**
 * One query-string parameter of an export: the argument or filter field of the GraphQL list
 * with the same name, parsed by the same scalar (ID, DateTime) or enum, with the same rule in
 * its message. A value is never echoed (API.md section 7).
 */
export type ExportParam = (name: string, value: string) => unknown;

export const idParam: ExportParam = (_name, value) => ID.parseValue(value);

export const dateTimeParam: ExportParam = (name, value) => {
  try {
    return parseNamedDateTime(name, value);
  } catch (error) {
    if (error instanceof UserInputError && UNENCODED_PLUS.test(value)) {
      throw new UserInputError(
        `${error.message} In a query string a bare + reads as a space: send it as %2B (e.g. %2B02:00).`,
        name,
      );
    }
    throw error;
  }
};

// A time followed by a space and an offset's digits: an offset's + sent without %2B.
const UNENCODED_PLUS = /T\d\d:\d\d(:\d\d(\.\d+)?)? \d\d(:?\d\d)?$/;

export const booleanParam: ExportParam = (name, value) => {
  if (value !== 'true' && value !== 'false') {
    throw new UserInputError(`${name} must be true or false.`, name);
  }
  return value === 'true';
};

/** A parameter whose values are those of a GraphQL enum (the TypeScript enum it is built from). */
export function enumParam(values: Record<string, string>): ExportParam {
  const allowed = Object.values(values);
  return (name, value) => {
    if (!allowed.includes(value)) {
      throw new UserInputError(`${name} must be one of ${allowed.join(', ')}.`, name);
    }
    return value;
  };
}

/**
 * What an unknown parameter's name must look like to be named in the refusal: a word no longer
 * than any real one, and never a secret's beginning.
 */
const PARAMETER_NAME = /^(?!sgp_)[A-Za-z][A-Za-z0-9_]{0,29}$/i;

/** What a token in the URL gets: never used, refused with what to do instead. */
const TOKEN_PARAMS = new Set(['access_token', 'token', 'api_key', 'apikey', 'key', 'secret']);

/** The name of a parameter of `query` that would carry a token (`access_token`, …), if any. */
export function tokenParamIn(query: URLSearchParams): string | undefined {
  return [...new Set(query.keys())].find((name) => TOKEN_PARAMS.has(name.toLowerCase()));
}

/**
 * The query string as the list's arguments: every parameter known to `params`, given once, with
 * a valid value; anything else is BAD_USER_INPUT before any row is read.
 */
export function parseParams(
  query: URLSearchParams,
  params: Readonly<Record<string, ExportParam>>,
): Record<string, unknown> {
  const token = tokenParamIn(query);
  if (token !== undefined) {
    throw new UserInputError(
      `A token is never taken from the URL (${token}); send it in the Authorization header: "Authorization: Bearer sgp_…".`,
      token,
    );
  }
  const parsed: Record<string, unknown> = {};
  for (const name of new Set(query.keys())) {
    const param = Object.hasOwn(params, name) ? params[name] : undefined;
    if (param === undefined) {
      const takes = `it takes ${Object.keys(params).join(', ')}.`;
      // Named when it reads as a parameter's name (a misspelt one, usually); anything else a
      // client wrote is not echoed.
      throw new UserInputError(
        PARAMETER_NAME.test(name)
          ? `This export does not know the parameter ${name}; ${takes}`
          : `A parameter this export does not know was given; ${takes}`,
        'query',
      );
    }
    const values = query.getAll(name);
    if (values.length > 1) {
      throw new UserInputError(`${name} may be given once.`, name);
    }
    parsed[name] = param(name, values[0]);
  }
  return parsed;
}
