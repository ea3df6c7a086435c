/* global process, __dirname */
// CommonJS, loaded by Node's require: require() is how it imports.
/* eslint-disable @typescript-eslint/no-require-imports */
// Jest's testResultsProcessor: runs after the global teardown and before the results are
// reported (the JSON report too) and the exit code is chosen. It adds the whole-suite log scan of
// log-capture.global-teardown.ts as one test, passed or failed, so a leak fails `npm test` and
// shows as a failed test in `--json` output. Plain JavaScript: Jest loads this file untransformed.
const { existsSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const TITLE = 'no log line of the whole suite holds a secret or the hash of one';

module.exports = function logScanResult(results) {
  const dir = process.env.STATUSGRAPH_TEST_LOG_DIR;
  if (dir === undefined) {
    return results;
  }
  const verdictFile = join(dir, 'verdict.json');
  const verdict = existsSync(verdictFile)
    ? JSON.parse(readFileSync(verdictFile, 'utf8'))
    : { lines: 0, files: 0, leaks: 1, report: `the scan left no verdict in ${dir}` };
  const passed = verdict.leaks === 0;
  const message = passed
    ? ''
    : `${verdict.leaks} leak(s) in ${verdict.lines} log lines of ${verdict.files} test files ` +
      `(records kept in ${dir}):\n${verdict.report}`;
  process.stderr.write(
    passed
      ? `log scan: ${verdict.lines} log lines of ${verdict.files} test files, no secret or hash.\n`
      : `log scan FAILED: ${message}\n`,
  );
  if (passed) {
    rmSync(dir, { recursive: true, force: true });
  }
  const now = Date.now();
  results.testResults.push({
    testFilePath: join(__dirname, 'log-capture.global-teardown.ts'),
    testResults: [
      {
        ancestorTitles: ['whole-suite log scan'],
        title: TITLE,
        fullName: `whole-suite log scan ${TITLE}`,
        status: passed ? 'passed' : 'failed',
        failureMessages: passed ? [] : [message],
        failureDetails: [],
        duration: 0,
        numPassingAsserts: passed ? 1 : 0,
        location: null,
      },
    ],
    numFailingTests: passed ? 0 : 1,
    numPassingTests: passed ? 1 : 0,
    numPendingTests: 0,
    numTodoTests: 0,
    failureMessage: passed ? null : message,
    perfStats: { start: now, end: now, runtime: 0, slow: false },
    snapshot: {
      added: 0,
      fileDeleted: false,
      matched: 0,
      unchecked: 0,
      uncheckedKeys: [],
      unmatched: 0,
      updated: 0,
    },
    skipped: false,
    leaks: false,
    openHandles: [],
  });
  results.numTotalTests += 1;
  results.numTotalTestSuites += 1;
  if (passed) {
    results.numPassedTests += 1;
    results.numPassedTestSuites += 1;
  } else {
    results.numFailedTests += 1;
    results.numFailedTestSuites += 1;
    results.success = false;
  }
  return results;
};
