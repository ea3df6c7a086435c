/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  setupFiles: ['reflect-metadata'],
  // The log scan (test/helpers/log-capture.ts): every log line of the run is captured; each test
  // file checks its own lines after each test, and the whole run is checked once at the end.
  globalSetup: '<rootDir>/test/helpers/log-capture.global-setup.ts',
  setupFilesAfterEnv: ['<rootDir>/test/helpers/log-capture.setup.ts'],
  globalTeardown: '<rootDir>/test/helpers/log-capture.global-teardown.ts',
  testResultsProcessor: '<rootDir>/test/helpers/log-capture.results-processor.js',
  testTimeout: 30000,
};
