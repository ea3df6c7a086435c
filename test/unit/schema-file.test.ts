import { readFile } from 'node:fs/promises';
import { RESOLVERS } from '../../src/app';
import { SCHEMA_FILE, renderSchemaFile } from '../../src/server/schema-file';

describe('schema/schema.graphql', () => {
  it('is what type-graphql emits from the code now (run `npm run schema:emit` after a change)', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8');
    expect(committed).toContain('type Query');
    expect(committed).toBe(await renderSchemaFile(RESOLVERS));
  });
});
