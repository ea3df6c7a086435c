import { crashSafety } from '../helpers/crash-safety';

/** Crash safety on PostgreSQL (test/helpers/crash-safety.ts), under `npm run test:postgres` only. */
describe('crash safety on postgres', () => crashSafety('postgres'));
