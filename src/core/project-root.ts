import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package's root folder, from the sources (tests) or from the build in dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    dir = dirname(dir);
  }
  return dir;
}
