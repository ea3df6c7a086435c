import { createHash } from 'node:crypto';

/**
 * One line a test caused to be written: by a logger in the test process, or on stdout / stderr
 * of a child process (a real server or CLI) started through child-process.ts.
 */
export interface LogRecord {
  /** The test file, and the test when one was running. */
  testPath: string;
  testName?: string;
  source: 'logger' | 'stdout' | 'stderr';
  /** Child processes: the pid and what was run (`dist/src/main.js --demo`). */
  pid?: number;
  command?: string;
  line: string;
}

export interface Leak {
  record: LogRecord;
  kind: 'secret' | 'secret hash';
}

/** A full secret, checksum or not: `sgp_` + 36 letters and digits (src/tokens/secret.ts). */
const SECRET = /sgp_[0-9A-Za-z]{36}/g;
const HAS_SECRET = /sgp_[0-9A-Za-z]{36}/;
/** Every 64-character window of a run of hex digits (a SHA-256 may sit inside a longer run). */
const HEX_64 = /(?=([0-9a-fA-F]{64}))/g;

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The header main.ts prints before the secret on a first start (bootstrap names it Default). */
const BANNER_HEADER = 'Created organization "Default" and its first full-access API token.';
const BANNER_INTRO = 'This secret is shown only now; store it safely:';
const BANNER_SECRET = /^ {2}(sgp_[0-9A-Za-z]{36})$/;
const BANNER_URL = /^GraphQL endpoint and playground: (http:\/\/[^ /]+:\d+\/graphql)$/;
const bannerTryIt = (url: string, secret: string) =>
  `Try it: curl -s ${url} -H 'Authorization: Bearer ${secret}' -H 'Content-Type: application/json' \\`;

const runs = (command: string | undefined, script: string) =>
  command !== undefined && new RegExp(`(^|/)dist/src/${script}( |$)`).test(command);

/**
 * The records allowed to hold a secret: on the stdout of the server (`dist/src/main.js`), the
 * first-start banner of main.ts's bootstrap(), recognised line by line (the secret alone on its
 * line, and the same secret in the curl example), once per process; on the stdout of the CLI
 * (`dist/src/cli.js`), the result of a command that creates a secret (the JSON `secret` field,
 * or the text line `Secret (shown only now): …`), which is that command's purpose.
 */
export function allowedSecretRecords(records: readonly LogRecord[]): Set<LogRecord> {
  const allowed = new Set<LogRecord>();
  const streams = new Map<string, LogRecord[]>();
  for (const record of records) {
    if (record.source === 'stdout' && record.pid !== undefined) {
      const key = `${record.testPath} ${record.pid} ${record.command}`;
      const stream = streams.get(key) ?? [];
      stream.push(record);
      streams.set(key, stream);
    }
  }
  for (const stream of streams.values()) {
    const command = stream[0].command;
    // `npm start` (spawned as `npm start`) runs the same server in its own process.
    if (runs(command, 'main.js') || command === 'start') {
      const lines = stream.map((record) => record.line);
      const at = lines.indexOf(BANNER_HEADER);
      const secret = BANNER_SECRET.exec(lines[at + 2] ?? '')?.[1];
      const url = BANNER_URL.exec(lines[at + 3] ?? '')?.[1];
      if (
        at !== -1 &&
        lines[at + 1] === BANNER_INTRO &&
        secret !== undefined &&
        url !== undefined &&
        lines[at + 4] === bannerTryIt(url, secret)
      ) {
        allowed.add(stream[at + 2]);
        allowed.add(stream[at + 4]);
      }
    } else if (runs(command, 'cli.js')) {
      for (const record of stream) {
        if (isCliSecretResult(record.line)) {
          allowed.add(record);
        }
      }
    }
  }
  return allowed;
}

function isCliSecretResult(line: string): boolean {
  const secrets = line.match(SECRET) ?? [];
  if (secrets.length !== 1) {
    return false;
  }
  if (line === `Secret (shown only now): ${secrets[0]}`) {
    return true;
  }
  try {
    const parsed = JSON.parse(line) as { secret?: unknown };
    return parsed.secret === secrets[0];
  } catch {
    return false;
  }
}

/** Every full secret in `line`. */
export function secretsIn(line: string): string[] {
  return line.match(SECRET) ?? [];
}

/**
 * Every record holding a full secret (outside the allowed ones above) or the SHA-256 hex of a
 * secret: one of `knownHashes` (the hashes of the secrets the tests made or used) or of a secret
 * found in the records themselves. `context` (the records scanned, or more: all of the test file's)
 * is where the allowed secrets are recognised. A 12-character display prefix is not a leak.
 */
export function findLeaks(
  records: readonly LogRecord[],
  knownHashes: Iterable<string>,
  context: readonly LogRecord[] = records,
): Leak[] {
  const hashes = new Set(knownHashes);
  for (const record of records) {
    for (const secret of secretsIn(record.line)) {
      hashes.add(sha256(secret));
    }
  }
  const allowed = allowedSecretRecords(context);
  const leaks: Leak[] = [];
  for (const record of records) {
    if (!allowed.has(record) && HAS_SECRET.test(record.line)) {
      leaks.push({ record, kind: 'secret' });
    }
    for (const match of record.line.matchAll(HEX_64)) {
      if (hashes.has(match[1].toLowerCase())) {
        leaks.push({ record, kind: 'secret hash' });
        break;
      }
    }
  }
  return leaks;
}

/** The line with every secret and hex run cut to a few characters, so a report leaks nothing. */
export function masked(line: string): string {
  return line
    .replace(SECRET, (secret) => `${secret.slice(0, 12)}…(secret)`)
    .replace(/[0-9a-fA-F]{64,}/g, (hex) => `${hex.slice(0, 8)}…(hex ${hex.length})`);
}

/**
 * The line masked, cut to its start and the stretch around the first masked secret (or hash) when
 * long; cut after masking, so that no cut leaves part of a secret unmasked.
 */
function excerpt(line: string, kind: Leak['kind']): string {
  const text = masked(line);
  if (text.length <= 400) {
    return text;
  }
  const at = text.indexOf(kind === 'secret' ? '…(secret)' : '…(hex');
  const from = Math.max(200, at - 150);
  return `${text.slice(0, 200)}${from > 200 ? ' … ' : ''}${text.slice(from, from + 300)} …`;
}

/** A report of the leaks, one paragraph each: where, which test, what kind, the masked line. */
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks
    .map(({ record, kind }) => {
      const where =
        record.source === 'logger'
          ? 'a logger in the test process'
          : `${record.source} of child ${record.pid} (${record.command})`;
      return [
        `${kind} in ${where}`,
        `  test: ${record.testPath}${record.testName ? ` › ${record.testName}` : ''}`,
        `  line: ${excerpt(record.line, kind)}`,
      ].join('\n');
    })
    .join('\n');
}
