import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitSchemaDefinitionFile } from 'type-graphql';
import type { ResolverClass } from '../core/feature';
import { projectRoot } from '../core/project-root';
import { type ResolverContainer, buildBareSchema } from './schema';

/** The committed SDL, checked against the code by `npm run check` and a test. */
export const SCHEMA_FILE = join(projectRoot(), 'schema', 'schema.graphql');

const RESOLVER_FILE = /\.resolver\.(ts|js)$/;

/**
 * Every resolver class of the `*.resolver` files one folder under src/: the schema check runs
 * without a database or services, and the server imports no feature, so it finds them by name.
 */
async function resolverFiles(): Promise<ResolverClass[]> {
  const src = join(__dirname, '..');
  const classes: ResolverClass[] = [];
  for (const entry of await readdir(src, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && RESOLVER_FILE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      const exports = (await import(join(entry.parentPath, entry.name))) as Record<string, unknown>;
      classes.push(
        ...Object.values(exports).filter(
          (value): value is ResolverClass =>
            typeof value === 'function' && value.name.endsWith('Resolver'),
        ),
      );
    }
  }
  return classes;
}

/** The SDL as type-graphql emits it from the resolvers now (by default, every resolver file's). */
export async function renderSchemaFile(resolvers?: readonly ResolverClass[]): Promise<string> {
  const container: ResolverContainer = {
    resolvers: resolvers ?? (await resolverFiles()),
    get: () => {
      throw new Error('The schema file is rendered, never executed.');
    },
  };
  const dir = await mkdtemp(join(tmpdir(), 'statusgraph-schema-'));
  try {
    const file = join(dir, 'schema.graphql');
    await emitSchemaDefinitionFile(file, await buildBareSchema(container));
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
