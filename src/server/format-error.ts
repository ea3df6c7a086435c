import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ApolloErrorCode, ErrorCode, PUBLIC_ERROR_CODES } from '../core/errors';
import type { Logger } from '../core/logger';
import { maskSecrets } from '../tokens/secret';

// graphql-js writes submitted values into some messages (as `inspect` or `print` output); the
// contract never echoes them (one may be a credential in a request header). A value can itself
// hold "; ", quotes or dots, so it is skipped by reading its syntax, not by searching for an end.

/** Index just past the value that starts at `start`: a string, block string, object or list. */
function endOfValue(text: string, start: number): number {
  if (text.startsWith('"""', start)) {
    const close = text.indexOf('"""', start + 3);
    return close < 0 ? text.length : close + 3;
  }
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\') {
          i++;
        }
      }
      if (depth === 0) {
        return i + 1;
      }
    } else if (char === '{' || char === '[') {
      depth++;
    } else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) {
        return i + 1;
      }
    } else if (depth === 0 && /[\s;,]/.test(char)) {
      return i;
    }
  }
  return text.length;
}

/** The reasons graphql-js gives after a value, with the value cut off. */
function cleanReason(reason: string): string {
  const represent = /^([^:]*cannot represent [^:]*value): /.exec(reason);
  if (represent) {
    return `${represent[1]}.`;
  }
  // graphql-js quotes an enum value without escaping it, so its own ending is the last one.
  const quotedEnum = /^Value "[\s\S]*" does not exist in "(\w+)" enum\.(.*)$/s.exec(reason);
  if (quotedEnum) {
    return `The value is not one of the "${quotedEnum[1]}" enum values.${quotedEnum[2]}`;
  }
  if (reason.startsWith('Value ')) {
    const rest = reason.slice(endOfValue(reason, 'Value '.length));
    const enumName = /^ does not exist in "(\w+)" enum\.(.*)$/s.exec(rest);
    if (enumName) {
      return `The value is not one of the "${enumName[1]}" enum values.${enumName[2]}`;
    }
  }
  return reason;
}

/**
 * `message` without the values graphql-js wrote into it. `reason`, when known, is the message
 * of the error it appended after "; " (the GraphQLError's originalError): the value then ends
 * where the reason starts, however its text reads (object keys are printed unquoted and may
 * hold any character).
 */
export function withoutEchoedValues(message: string, reason?: string): string {
  const variable = /^(Variable "\$\w+") got invalid value /.exec(message);
  if (variable && reason && message.endsWith(`; ${reason}`)) {
    const head = message.slice(0, message.length - reason.length - 2);
    // The path holds field names of the schema and list indexes only.
    const path = / at "(\w+(?:\.\w+|\[\d+\])*)"$/.exec(head);
    return `${variable[1]} has an invalid value${path ? ` at "${path[1]}"` : ''}: ${cleanReason(reason)}`;
  }
  if (variable) {
    const rest = message.slice(endOfValue(message, variable[0].length));
    const path = /^ at "([\w.[\]]*)"/.exec(rest);
    const reason = rest.slice(path ? path[0].length : 0).replace(/^; /, '');
    const where = path ? ` at "${path[1]}"` : '';
    return reason
      ? `${variable[1]} has an invalid value${where}: ${cleanReason(reason)}`
      : `${variable[1]} has an invalid value${where}.`;
  }
  const literal = /^(Expected value of type "[^"]+"), found /.exec(message);
  if (literal) {
    const reason = message
      .slice(endOfValue(message, literal[0].length))
      .replace(/^\.$/, '')
      .replace(/^; /, '');
    return reason ? `${literal[1]}: ${cleanReason(reason)}` : `${literal[1]}.`;
  }
  // Apollo repeats the request's operationName, which may be any text.
  if (/^Unknown operation named "[\s\S]*"\.$/.test(message)) {
    return 'operationName names no operation of the document; send one of its names, or none.';
  }
  // A syntax error names the token it stopped at; a string token is a submitted value (a header
  // value with a missing colon before it, say), so only its kind is kept.
  const syntax =
    /^(Syntax Error: (?:Expected .*?, found|Unexpected)) (?:Block)?String "[\s\S]*"\.$/.exec(
      message,
    );
  if (syntax) {
    return `${syntax[1]} ${syntax[1].endsWith('found') ? 'a string' : 'string'}.`;
  }
  return cleanReason(message);
}

/**
 * graphql-js suggests names of the schema in some messages ("Did you mean …?"); Apollo's
 * hideSchemaDetailsFromClientErrors removes them from validation errors only, not from the
 * coercion of variables. Nobody learns the schema from error messages.
 */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean [^?]*\?/g, '');
}

function clientMessage(message: string, reason?: string): string {
  return maskSecrets(withoutSuggestions(withoutEchoedValues(message, reason)));
}

/** Apollo codes outside API.md §7, and the contract's code for the same refusal. */
const CONTRACT_CODE: Readonly<Record<string, string>> = {
  // An operationName that names no operation of the document, or none for several.
  [ApolloErrorCode.OPERATION_RESOLUTION_FAILURE]: ErrorCode.BAD_REQUEST,
};

/** Apollo's terse messages, replaced by ones that say what to do. */
const CONTRACT_MESSAGE: Readonly<Record<string, string>> = {
  [ApolloErrorCode.PERSISTED_QUERY_NOT_SUPPORTED]:
    'Persisted queries are not supported by this server; send the query text in "query" ' +
    '(and no extensions.persistedQuery).',
};

/**
 * Apollo's own refusals of a request's shape (code BAD_REQUEST), by the start of its message,
 * and ours instead: Apollo's name its own headers and options, not what a client should send.
 */
const REQUEST_SHAPE_MESSAGE: readonly (readonly [string, string])[] = [
  [
    'This operation has been blocked as a potential Cross-Site Request Forgery',
    'Refused as a possible cross-site request: send a POST with Content-Type: application/json, ' +
      'or a GET with the Authorization header.',
  ],
  [
    'Operation batching disabled',
    'Batched requests (a JSON array) are not supported; send one operation per request.',
  ],
  [
    'POST body missing',
    'A POST needs Content-Type: application/json and a JSON object body with "query" ' +
      '(and "variables", "operationName" if needed).',
  ],
];

function requestShapeMessage(message: string): string | undefined {
  return REQUEST_SHAPE_MESSAGE.find(([apollo]) => message.startsWith(apollo))?.[1];
}

/** Whether a stack overflow (a RangeError) lies under the error's chain of originalErrors. */
function overflowed(error: Error | undefined, depth = 0): boolean {
  if (error === undefined || depth > 5) {
    return false;
  }
  return (
    error.name === 'RangeError' || overflowed((error as GraphQLError).originalError, depth + 1)
  );
}

/**
 * The last step of every error on its way out: stable codes pass with their message (cleared of
 * echoed values); anything unexpected — a database error, a bug — is logged here and reaches the
 * client only as INTERNAL_SERVER_ERROR with no internals. Stack traces are never included.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    // graphql-js's own refusals of arguments (e.g. null for a non-null argument) carry no code:
    // they are the client's mistake, not an internal error.
    if (
      original instanceof GraphQLError &&
      original.originalError === undefined &&
      !original.extensions.code
    ) {
      return {
        ...formatted,
        message: clientMessage(formatted.message),
        extensions: { code: ErrorCode.BAD_USER_INPUT },
      };
    }
    const code = formatted.extensions?.code;
    if (
      typeof code === 'string' &&
      PUBLIC_ERROR_CODES.has(code) &&
      code !== ErrorCode.INTERNAL_SERVER_ERROR
    ) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      const cause = original instanceof GraphQLError ? original.originalError : undefined;
      // The parser recurses: a document nested a few thousand levels deep (within the token
      // limit) overflows the stack, and Apollo reports the RangeError's text as a parse failure.
      const message =
        code === ApolloErrorCode.GRAPHQL_PARSE_FAILED &&
        original instanceof GraphQLError &&
        overflowed(original)
          ? 'The document is nested too deeply to be read; send a flatter one.'
          : (CONTRACT_MESSAGE[code] ??
            (code === ErrorCode.BAD_REQUEST ? requestShapeMessage(formatted.message) : undefined) ??
            clientMessage(formatted.message, cause?.message));
      // A scalar refusing a value written in the document (a DateTime of 2027-02-30) fails
      // validation in graphql-js, but it is the same bad input as when sent as a variable.
      const refusedByScalar =
        code === ApolloErrorCode.GRAPHQL_VALIDATION_FAILED &&
        cause instanceof GraphQLError &&
        cause.extensions.code === ErrorCode.BAD_USER_INPUT;
      return {
        ...formatted,
        message,
        extensions: {
          ...extensions,
          code: refusedByScalar ? ErrorCode.BAD_USER_INPUT : (CONTRACT_CODE[code] ?? code),
        },
      };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error');
    return {
      message:
        'Internal server error. It has been logged; try again, and report it if it persists.',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
