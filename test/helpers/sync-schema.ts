import { buildSchemaSync } from 'type-graphql';
import { RESOLVERS } from '../../src/app';
import { DateTimeScalar } from '../../src/graphql/date-time.scalar';

// Jest collects tests synchronously, so the generated matrices take their cases from the same
// resolvers built synchronously; the permission matrix's first test proves that this is exactly
// the schema buildBareSchema() gives the server.
const [FIRST_RESOLVER, ...OTHER_RESOLVERS] = RESOLVERS;

/** The server's schema before authorization, built synchronously for test generation. */
export const SCHEMA = buildSchemaSync({
  resolvers: [FIRST_RESOLVER, ...OTHER_RESOLVERS],
  scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  validate: false,
});
