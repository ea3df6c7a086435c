import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './config';

/**
 * The environment with the settings of a `.env` file in `dir` beneath it (API.md section 8): the
 * environment wins, and a missing file is no error (Node's `--env-file` and `loadEnvFile` fail on
 * one). `ENV_FILE` (from the environment only) names another file, or none when empty: the tests'
 * child processes set it empty, so they never read a developer's `.env`. Only the entry points
 * call this; tests that import the rest never read a file either.
 */
export function withEnvFile(env: NodeJS.ProcessEnv, dir: string): NodeJS.ProcessEnv {
  const file = env.ENV_FILE ?? '.env';
  if (file === '') {
    return env;
  }
  let content: string;
  try {
    content = readFileSync(resolve(dir, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return env;
    }
    throw new ConfigError(
      `cannot read the settings file ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return { ...parseEnv(content), ...env };
}
