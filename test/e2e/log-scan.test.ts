import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { createLogger } from '../../src/core/logger';
import { generateSecret, hashSecret } from '../../src/tokens/secret';
import { Child } from '../helpers/child-process';
import { LOG_DIR_VARIABLE, LogCapture, logCapture } from '../helpers/log-capture';
import globalTeardown from '../helpers/log-capture.global-teardown';
import {
  type LogRecord,
  allowedSecretRecords,
  describeLeaks,
  findLeaks,
  sha256,
} from '../helpers/log-scan';

/**
 * The log scan itself (test/helpers/log-capture*.ts, log-scan.ts): it must find what it is meant
 * to find, or every other test would pass it by default. Leaks planted here go into records built
 * by hand or a LogCapture of the test's own, never into this file's capture, which is checked
 * like every other file's.
 */

const ROOT = resolve(__dirname, '..', '..');
const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
const logged = (line: string): LogRecord => ({ testPath: 'planted', source: 'logger', line });
const printed = (command: string, line: string, pid = 4242): LogRecord => ({
  testPath: 'planted',
  source: 'stdout',
  pid,
  command,
  line,
});

/** The first-start banner exactly as src/main.ts's bootstrap() prints it, non-blank lines. */
function banner(secret: string, port = 4000): string[] {
  const url = `http://localhost:${port}/graphql`;
  return [
    'Created organization "Default" and its first full-access API token.',
    'This secret is shown only now; store it safely:',
    `  ${secret}`,
    `GraphQL endpoint and playground: ${url}`,
    `Try it: curl -s ${url} -H 'Authorization: Bearer ${secret}' -H 'Content-Type: application/json' \\`,
    `         -d '{"query":"{ viewer { permission organization { name } } }"}'`,
  ];
}

interface ProcessedResults {
  success: boolean;
  numFailedTests: number;
  numPassedTests: number;
  numTotalTests: number;
  numFailedTestSuites: number;
  numPassedTestSuites: number;
  numTotalTestSuites: number;
  testResults: { testFilePath: string; testResults: { title: string; status: string }[] }[];
}

const emptyResults = (): ProcessedResults => ({
  success: true,
  numFailedTests: 0,
  numPassedTests: 0,
  numTotalTests: 0,
  numFailedTestSuites: 0,
  numPassedTestSuites: 0,
  numTotalTestSuites: 0,
  testResults: [],
});

describe('the scan of log lines', () => {
  const secret = generateSecret();

  it('finds a full secret, checksum or not, wherever it stands, and passes a display prefix', () => {
    const mistyped = `${secret.slice(0, 39)}${secret[39] === 'A' ? 'B' : 'A'}`;
    const records = [
      logged(`{"level":30,"token":"${secret}"}`),
      logged(`Bearer ${mistyped}`),
      logged(`{"prefix":"${secret.slice(0, 12)}","msg":"authenticated"}`),
      logged('sgp_ and then nothing'),
    ];
    expect(findLeaks(records, []).map((leak) => [leak.record.line, leak.kind])).toEqual([
      [records[0].line, 'secret'],
      [records[1].line, 'secret'],
    ]);
  });

  it('finds the SHA-256 of a known secret, or of a secret seen in any line, and no other hex', () => {
    const other = generateSecret();
    const records = [
      logged(`{"parameters":["${secret.slice(0, 12)}","${hashSecret(secret)}"]}`),
      logged(`{"sql":"x","hash":"${sha256(other).toUpperCase()}"}`),
      printed('dist/src/main.js', `  ${other}`),
      logged(`{"etag":"${sha256('not a secret')}","id":"${'0'.repeat(80)}"}`),
    ];
    const leaks = findLeaks(records, [hashSecret(secret)]);
    expect(leaks.map((leak) => [leak.record.line, leak.kind])).toEqual([
      [records[0].line, 'secret hash'],
      [records[1].line, 'secret hash'],
      [records[2].line, 'secret'],
    ]);
    // Without the hash known nor the secret seen, the first two are hex like any other.
    expect(findLeaks(records.slice(0, 2), [])).toEqual([]);
  });

  it('reports where and in which test, with no secret or hash in the report', () => {
    const report = describeLeaks(
      findLeaks(
        [
          { ...logged(`token ${secret} hash ${sha256(secret)}`), testName: 'a test' },
          printed('dist/src/cli.js token list', `token ${secret}`, 7),
        ],
        [],
      ),
    );
    expect(report).toContain('secret in a logger in the test process');
    expect(report).toContain('secret hash in a logger in the test process');
    expect(report).toContain('test: planted › a test');
    expect(report).toContain('secret in stdout of child 7 (dist/src/cli.js token list)');
    expect(report).toContain(`${secret.slice(0, 12)}…(secret)`);
    expect(report).not.toContain(secret);
    expect(report).not.toContain(sha256(secret));
  });

  it('allows the first-start banner on the stdout of the server alone, once, exactly as printed', () => {
    const allowedLines = (records: LogRecord[]) =>
      [...allowedSecretRecords(records)].map((record) => record.line);
    const server = banner(secret).map((line) => printed('dist/src/main.js --demo', line));
    expect(allowedLines(server)).toEqual([`  ${secret}`, banner(secret)[4]]);
    expect(findLeaks(server, [sha256(secret)])).toEqual([]);

    // The same lines anywhere else, a second time, or altered, are leaks.
    const elsewhere = [
      banner(secret).map(logged),
      banner(secret).map((line) => printed('dist/src/cli.js org create', line)),
      banner(secret).map((line) => ({ ...printed('dist/src/main.js', line), source: 'stderr' })),
      [...server, ...banner(secret).map((line) => printed('dist/src/main.js --demo', line))],
      banner(secret).map((line, i) =>
        printed('dist/src/main.js', i === 0 ? line.replace('Default', 'Acme') : line),
      ),
      banner(secret).map((line, i) => printed('dist/src/main.js', i === 2 ? `${line} ` : line)),
      [...banner(secret), `again ${secret}`].map((line) => printed('dist/src/main.js', line)),
    ] as LogRecord[][];
    for (const records of elsewhere) {
      expect(findLeaks(records, []).length).toBeGreaterThan(0);
    }
  });

  it("allows the CLI's result holding a new secret on the CLI's stdout alone", () => {
    const json = JSON.stringify({ token: { prefix: secret.slice(0, 12) }, secret });
    const text = `Secret (shown only now): ${secret}`;
    const cli = 'dist/src/cli.js token create --org x --name y';
    expect(findLeaks([printed(cli, json), printed(cli, text)], [])).toEqual([]);
    for (const record of [
      logged(json),
      printed('dist/src/main.js', text),
      { ...printed(cli, text), source: 'stderr' as const },
      printed(cli, JSON.stringify({ secret, again: secret })),
      printed(cli, JSON.stringify({ note: secret })),
    ]) {
      expect(findLeaks([record], [])).toHaveLength(1);
    }
  });
});

describe('the capture of log lines', () => {
  it('gets every line of a logger made by createLogger, and the hash of every secret made', () => {
    const before = logCapture.records.length;
    createLogger('info', sink()).info({ step: 'capture' }, 'a line for the capture');
    expect(logCapture.records.slice(before)).toEqual([
      expect.objectContaining({
        source: 'logger',
        testPath: __filename,
        testName: expect.stringContaining('gets every line of a logger'),
        line: expect.stringContaining('"msg":"a line for the capture"'),
      }),
    ]);
    const secret = generateSecret();
    expect(logCapture.hashes.has(sha256(secret))).toBe(true);
    const presented = `sgp_${'x'.repeat(36)}`;
    hashSecret(presented);
    expect(logCapture.hashes.has(sha256(presented))).toBe(true);
  });

  it("gets a child process's lines, and recognises the banner the real server prints", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statusgraph-log-scan-'));
    try {
      const child = new Child(
        spawn(process.execPath, [join('dist', 'src', 'main.js')], {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            // Never a developer's .env (API.md section 8): the child reads only what the test gives it.
            ENV_FILE: '',
            PORT: '0',
            DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
            LOG_LEVEL: 'info',
          },
          stdio: 'pipe',
        }),
      );
      await child.waitForStdout(/statusgraph listening/);
      child.process.kill('SIGTERM');
      expect(await child.waitForExit()).toEqual({ code: 0, signal: null });

      const records = logCapture.records.filter((record) => record.pid === child.process.pid);
      expect(records.every((record) => record.command === join('dist', 'src', 'main.js'))).toBe(
        true,
      );
      expect(
        records.filter((record) => record.source === 'stdout').map((record) => record.line),
      ).toEqual(child.stdout.split('\n').filter((line) => line.trim() !== ''));
      const secret = /^ {2}(sgp_\w{36})$/m.exec(child.stdout)?.[1] ?? 'no secret printed';
      expect([...allowedSecretRecords(records)].map((record) => record.line)).toEqual([
        `  ${secret}`,
        expect.stringContaining(`Authorization: Bearer ${secret}`),
      ]);
      expect(findLeaks(records, logCapture.hashes)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails a file's check on a planted line, and leaves the run's records and hashes", () => {
    const dir = mkdtempSync(join(tmpdir(), 'statusgraph-log-scan-'));
    try {
      const capture = new LogCapture(dir);
      const secret = generateSecret();
      capture.record({ source: 'logger' }, '{"msg":"fine"}');
      expect(() => capture.checkNewLines()).not.toThrow();
      capture.record({ source: 'logger' }, `{"msg":"oops","token":"${secret}"}`);
      expect(() => capture.checkNewLines()).toThrow(/1 log line\(s\) hold a secret/);
      // The next check looks at the lines since: the leak was reported once.
      expect(() => capture.checkNewLines()).not.toThrow();
      const other = generateSecret();
      capture.knowSecret(other);
      capture.record({ source: 'stderr', pid: 1, command: 'x' }, `lookup ${sha256(other)}`);
      expect(() => capture.checkNewLines()).toThrow(/secret hash in stderr of child 1/);

      expect(readdirSync(dir).sort()).toEqual([
        `hashes-${process.pid}.txt`,
        `records-${process.pid}.jsonl`,
      ]);
      const lines = readFileSync(join(dir, `records-${process.pid}.jsonl`), 'utf8');
      expect(lines.trim().split('\n')).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the whole run on a leak only its scan sees, and passes (and tidies) a clean run', () => {
    const processor = jest.requireActual<(results: ProcessedResults) => ProcessedResults>(
      '../helpers/log-capture.results-processor.js',
    );
    const runDir = process.env[LOG_DIR_VARIABLE];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const secret = generateSecret();
      const leaky = mkdtempSync(join(tmpdir(), 'statusgraph-log-scan-'));
      // One worker made the secret, another logged its hash.
      new LogCapture(leaky).knowSecret(secret);
      new LogCapture(leaky).record({ source: 'logger' }, `{"lookup":"${sha256(secret)}"}`);
      process.env[LOG_DIR_VARIABLE] = leaky;
      globalTeardown();
      const failed = processor(emptyResults());
      expect(failed).toMatchObject({ success: false, numFailedTests: 1, numTotalTests: 1 });
      expect(failed.testResults[0].testResults[0]).toMatchObject({ status: 'failed' });
      expect(existsSync(leaky)).toBe(true);
      rmSync(leaky, { recursive: true, force: true });

      const clean = mkdtempSync(join(tmpdir(), 'statusgraph-log-scan-'));
      new LogCapture(clean).record({ source: 'logger' }, '{"msg":"fine"}');
      process.env[LOG_DIR_VARIABLE] = clean;
      globalTeardown();
      expect(processor(emptyResults())).toMatchObject({ success: true, numPassedTests: 1 });
      expect(existsSync(clean)).toBe(false);
    } finally {
      process.env[LOG_DIR_VARIABLE] = runDir;
      stderr.mockRestore();
    }
  });

  it('fails a Jest run whose tests log secrets: those tests, the whole-run scan, the exit code', async () => {
    const out = mkdtempSync(join(tmpdir(), 'statusgraph-log-scan-'));
    try {
      const run = await promisify(execFile)(
        process.execPath,
        [
          join('node_modules', 'jest', 'bin', 'jest.js'),
          '--ci',
          '--runInBand',
          '--json',
          `--outputFile=${join(out, 'results.json')}`,
          '--testMatch=**/test/fixtures/planted-secret.fixture.ts',
        ],
        { cwd: ROOT, env: { ...process.env, [LOG_DIR_VARIABLE]: undefined } },
      ).then(
        () => ({ code: 0 }),
        (error: { code?: number }) => ({ code: error.code }),
      );
      expect(run.code).toBe(1);
      const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
        success: boolean;
        testResults: {
          name: string;
          message: string;
          assertionResults: { title: string; status: string }[];
        }[];
      };
      expect(results.success).toBe(false);
      const outcomes = results.testResults.flatMap((file) =>
        file.assertionResults.map((test) => [test.title, test.status]),
      );
      expect(outcomes).toEqual([
        ['plants a secret in a log line', 'failed'],
        ['plants the SHA-256 of a secret in a log line', 'failed'],
        ['logs only a display prefix', 'passed'],
        ['no log line of the whole suite holds a secret or the hash of one', 'failed'],
      ]);
      const scan = results.testResults[1];
      // Three lines: the two the tests' checks found, and the one logged after the last check.
      expect(scan.message).toMatch(/^3 leak\(s\) in \d+ log lines of 1 test files/);
      expect(scan.message).toContain('planted secret after the last test');
      const kept = /records kept in (\S+)\)/.exec(scan.message)?.[1];
      expect(kept).toBeDefined();
      rmSync(kept ?? '', { recursive: true, force: true });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
