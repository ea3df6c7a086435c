import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The package's root folder (the nearest one above `from` holding package.json), from the sources
 * (tests) or from the build in dist/. Throws when there is none up to the file system's root: a
 * build copied away from its package has no schema file, playground or console to serve.
 */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      return dir;
    }
    if (dirname(dir) === dir) {
      throw new Error(
        `No package.json in ${from} or any folder above it: run the build inside its package.`,
      );
    }
  }
}
