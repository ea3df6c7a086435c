import { Writable } from 'node:stream';
import pino, { type DestinationStream } from 'pino';
import * as loggerModule from '../../src/core/logger';
import * as secretModule from '../../src/tokens/secret';
import { logCapture } from './log-capture';

/**
 * Runs in every test file (setupFilesAfterEnv), in the file's own module registry, so the
 * modules changed here are the ones the file's code uses:
 * - every logger made through createLogger also writes each line to the capture (TestApp's, the
 *   tests' own, the CLI's in-process), still reaching its destination as before;
 * - every secret made (generateSecret) or hashed (hashSecret) leaves its hash with the capture,
 *   so that a logged hash is recognised (the secret itself is found by its shape).
 * Then, after each test, the lines logged since the previous check must hold no secret and no
 * hash of one: a leak fails that test; after the last test, what its hooks logged is checked.
 */

type Exports<T> = { -readonly [K in keyof T]: T[K] };

/** Replaces an export of a module of this registry; callers look it up at each call. */
function wrapExport<T, K extends keyof T>(module: T, name: K, wrap: (original: T[K]) => T[K]) {
  (module as Exports<T>)[name] = wrap(module[name]);
}

function teeToCapture(destination: 1 | 2 | DestinationStream): DestinationStream {
  const target =
    typeof destination === 'number'
      ? pino.destination({ fd: destination, sync: false })
      : destination;
  const tee = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      logCapture.recordLines({ source: 'logger' }, text);
      target.write(text);
      done();
    },
  });
  const flushable = target as DestinationStream & { flush?: (cb: (error?: Error) => void) => void };
  return Object.assign(tee, {
    flush: (cb: (error?: Error) => void) => (flushable.flush ? flushable.flush(cb) : cb()),
  });
}

wrapExport(
  loggerModule,
  'createLogger',
  (createLogger) =>
    (level, destination = 1) =>
      createLogger(level, teeToCapture(destination)),
);
wrapExport(secretModule, 'generateSecret', (generateSecret) => () => {
  const secret = generateSecret();
  logCapture.knowSecret(secret);
  return secret;
});
wrapExport(secretModule, 'hashSecret', (hashSecret) => (secret) => {
  const hash = hashSecret(secret);
  logCapture.knowHash(hash);
  return hash;
});

afterEach(() => logCapture.checkNewLines());
afterAll(() => logCapture.checkNewLines());
