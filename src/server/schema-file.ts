import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emitSchemaDefinitionFile } from 'type-graphql';
import { projectRoot } from '../core/project-root';
import { buildBareSchema } from './schema';

/** The committed SDL, checked against the code by `npm run check` and a test. */
export const SCHEMA_FILE = join(projectRoot(), 'schema', 'schema.graphql');

/** The SDL as type-graphql emits it from the resolvers now. */
export async function renderSchemaFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'statusgraph-schema-'));
  try {
    const file = join(dir, 'schema.graphql');
    await emitSchemaDefinitionFile(file, await buildBareSchema());
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
