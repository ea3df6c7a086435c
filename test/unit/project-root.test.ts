import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/core/project-root';

describe('the project root', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'statusgraph-root-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is the nearest folder above holding package.json', () => {
    writeFileSync(join(dir, 'package.json'), '{}');
    const deep = join(dir, 'dist', 'src', 'core');
    mkdirSync(deep, { recursive: true });
    expect(projectRoot(deep)).toBe(dir);
    expect(projectRoot(__dirname)).toBe(join(__dirname, '..', '..'));
  });

  // A build copied out of its package used to spin at the file system's root for ever.
  it('is an error, not an endless search, when no folder above holds one', () => {
    const deep = join(dir, 'dist', 'src', 'core');
    mkdirSync(deep, { recursive: true });
    expect(() => projectRoot(deep)).toThrow(/No package\.json in .*statusgraph-root-/);
  });
});
