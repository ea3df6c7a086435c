import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitSchemaDefinitionFile } from 'type-graphql';
import type { ResolverClass } from '../core/feature';
import { projectRoot } from '../core/project-root';
import { type ResolverContainer, buildBareSchema } from './schema';

/** The committed SDL, checked against the code by `npm run check` and a test. */
export const SCHEMA_FILE = join(projectRoot(), 'schema', 'schema.graphql');

/**
 * The SDL as type-graphql emits it from the resolvers the composition root registers (app.ts's
 * RESOLVERS): the check runs without a database or services.
 */
export async function renderSchemaFile(resolvers: readonly ResolverClass[]): Promise<string> {
  const container: ResolverContainer = {
    resolvers,
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
