import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, PUBLIC_ERROR_CODES } from './errors';
import type { Logger } from './logger';

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
  if (reason.startsWith('Value ')) {
    const rest = reason.slice(endOfValue(reason, 'Value '.length));
    const enumName = /^ does not exist in "(\w+)" enum\.(.*)$/s.exec(rest);
    if (enumName) {
      return `The value is not one of the "${enumName[1]}" enum values.${enumName[2]}`;
    }
  }
  return reason;
}

export function withoutEchoedValues(message: string): string {
  const variable = /^(Variable "\$\w+") got invalid value /.exec(message);
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
  return cleanReason(message);
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
        message: withoutEchoedValues(formatted.message),
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
      return { ...formatted, message: withoutEchoedValues(formatted.message), extensions };
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
