import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode, PUBLIC_ERROR_CODES } from './errors';
import type { Logger } from './logger';

// graphql-js writes the submitted value into some messages; the contract never echoes it (it may
// be a credential in a request header). These rewrite each such shape to the field and the rule.
const ECHOES: [RegExp, string][] = [
  [
    /^(Variable "\$[^"]+") got invalid value .*?((?: at "[^"]*")?); /s,
    '$1 has an invalid value$2: ',
  ],
  [/(cannot represent (?:a )?[\w -]*value): .*$/s, '$1.'],
  [
    /Value ".*?" does not exist in "(\w+)" enum\./s,
    'The value is not one of the "$1" enum values.',
  ],
  [/, found .*?(\.|;|$)/s, '$1'],
];

export function withoutEchoedValues(message: string): string {
  return ECHOES.reduce(
    (text, [pattern, replacement]) => text.replace(pattern, replacement),
    message,
  );
}

/**
 * The last step of every error on its way out: stable codes pass with their message (cleared of
 * echoed values); anything unexpected — a database error, a bug — is logged here and reaches the
 * client only as INTERNAL_SERVER_ERROR with no internals. Stack traces are never included.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (
      typeof code === 'string' &&
      PUBLIC_ERROR_CODES.has(code) &&
      code !== ErrorCode.INTERNAL_SERVER_ERROR
    ) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, message: withoutEchoedValues(formatted.message), extensions };
    }
    logger.error({ err: unwrapResolverError(error), path: formatted.path }, 'unexpected error');
    return {
      message:
        'Internal server error. It has been logged; try again, and report it if it persists.',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
