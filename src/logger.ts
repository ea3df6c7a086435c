import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/**
 * Structured JSON logs. Secrets never reach a logger: authentication logs a token's id and
 * prefix only, and the redaction below guards the header should a request ever be logged whole.
 */
export function createLogger(level: LogLevel, destination: 1 | 2 | DestinationStream = 1): Logger {
  return pino(
    {
      level,
      base: { service: 'statusgraph' },
      redact: ['req.headers.authorization', 'headers.authorization', 'authorization', 'secret'],
    },
    typeof destination === 'number'
      ? pino.destination({ fd: destination, sync: false })
      : destination,
  );
}
