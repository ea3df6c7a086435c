/* global process */
// `npm start`: builds, then runs the server in this very process.
//
// npm forwards SIGTERM and SIGINT to the one process it started. With
// `npm run build && node dist/src/main.js` that process was a shell, which died of the signal and
// left node running, orphaned: no graceful shutdown, no last-use flush. Here the process npm
// starts is the server itself, so the signal reaches main.ts's handlers.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// What `npm run build` compiles: the server, then the token console's browser code.
for (const project of ['tsconfig.build.json', 'src/server/console/browser/tsconfig.json']) {
  const build = spawnSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', project],
    {
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) {
    process.exit(build.status ?? 1);
  }
}
require('../dist/src/main.js');
