import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/**
 * Structured JSON logs. Secrets never reach a logger: authentication logs a token's id and
 * prefix only, and the redaction below guards the header should a request ever be logged whole.
 * A failed statement's error is logged with its SQL but not its parameters, nor PostgreSQL's
 * `detail` ("Key (secret_hash)=(…) already exists"): they may hold a token's hash.
 */
export function createLogger(level: LogLevel, destination: 1 | 2 | DestinationStream = 1): Logger {
  return pino(
    {
      level,
      base: { service: 'statusgraph' },
      redact: [
        'req.headers.authorization',
        'headers.authorization',
        'authorization',
        'secret',
        'err.parameters',
        'err.detail',
        'err.driverError.parameters',
        'err.driverError.detail',
      ],
    },
    typeof destination === 'number'
      ? pino.destination({ fd: destination, sync: false })
      : destination,
  );
}
