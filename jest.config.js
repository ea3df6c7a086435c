/* global process */
/**
 * Tests that need a PostgreSQL server whatever the suite's database (several instances sharing
 * it, both databases side by side) live in *.postgres.test.ts files, run under
 * `npm run test:postgres` only: `npm test` needs Node alone, and skips nothing.
 */
const withPostgres = process.env.STATUSGRAPH_TEST_DB === 'postgres';

/** What every project shares: ts-jest, the log scan's per-file check (see below), and which files. */
const shared = {
  testEnvironment: 'node',
  testPathIgnorePatterns: withPostgres
    ? ['/node_modules/']
    : ['/node_modules/', '\\.postgres\\.test\\.ts$'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  setupFiles: ['reflect-metadata'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/log-capture.setup.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  // unit: no server, no database (npm run test:unit, seconds); api: in-process servers on a real
  // database; e2e: built server processes, the CLI, a browser. `--selectProjects` picks some.
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
    { ...shared, displayName: 'api', roots: ['<rootDir>/test/api'], testMatch: ['**/*.test.ts'] },
    // test/fixtures holds files only a test's own Jest run picks (by --testMatch), never this one.
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e', '<rootDir>/test/fixtures'],
      testMatch: ['**/*.test.ts'],
    },
  ],
  // The log scan (test/helpers/log-capture.ts): every log line of the run is captured; each test
  // file checks its own lines after each test, and the whole run is checked once at the end.
  globalSetup: '<rootDir>/test/helpers/log-capture.global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/log-capture.global-teardown.ts',
  testResultsProcessor: '<rootDir>/test/helpers/log-capture.results-processor.js',
  testTimeout: 30000,
};
