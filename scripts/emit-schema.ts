import 'reflect-metadata';
import { readFile, writeFile } from 'node:fs/promises';
import { RESOLVERS } from '../src/app';
import { SCHEMA_FILE, renderSchemaFile } from '../src/server/schema-file';

// `npm run schema:emit` writes schema/schema.graphql; `npm run schema:check` fails when it is stale.
async function main(check: boolean): Promise<void> {
  const rendered = await renderSchemaFile(RESOLVERS);
  if (!check) {
    await writeFile(SCHEMA_FILE, rendered);
    return;
  }
  const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
  if (committed !== rendered) {
    process.stderr.write(
      'schema/schema.graphql differs from the code: run `npm run schema:emit` and commit it.\n',
    );
    process.exit(1);
  }
}

void main(process.argv.includes('--check'));
