import { crashSafety } from '../helpers/crash-safety';

/** Crash safety on SQLite (test/helpers/crash-safety.ts); on PostgreSQL: crash-safety.postgres.test.ts. */
describe('crash safety on sqlite', () => crashSafety('sqlite'));
