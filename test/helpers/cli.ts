import { runCli } from '../../src/cli';
import type { TestApp } from './test-app';

/** What one run of the command line did: its exit code and everything it wrote. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The test server's own database as a DATABASE_URL: its SQLite file, or its PostgreSQL schema. */
export function databaseUrl(app: TestApp): string {
  const { config } = app.database;
  return config.type === 'postgres' ? config.url : `sqlite:${config.path}`;
}

/** Runs the command line in-process against the test server's own database. */
export async function cli(app: TestApp, ...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: { DATABASE_URL: databaseUrl(app), LOG_LEVEL: 'silent' },
  });
  return { code, stdout, stderr };
}

/** With --json, stdout holds exactly one JSON object and nothing else. */
export function oneJsonObject(run: CliRun): Record<string, unknown> {
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const parsed: unknown = JSON.parse(lines[0]);
  expect(typeof parsed).toBe('object');
  return parsed as Record<string, unknown>;
}
