/**
 * Incremental sync of incidents for a reporting system, with a READ_ONLY token.
 *
 * The first run pulls every incident, deleted ones included, ordered by (updatedAt, id), and keeps
 * where it stopped in a small JSON state file. Each later run asks only for what changed since:
 * it continues after the stored endCursor (or, with --updated-after, from the stored updatedAt)
 * and reports the incidents created, changed and deleted in between.
 *
 *   npm run build
 *   STATUSGRAPH_TOKEN=sgp_... node dist/examples/sync-incidents.js [state.json] [--updated-after]
 *
 * Only Node's global fetch: copy this file into any Node >= 20 project.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { graphql } from './graphql-client';

export type ResumeFrom = 'cursor' | 'updatedAfter';

export interface SyncOptions {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  /** A READ_ONLY token is enough. */
  token: string;
  /** The JSON state file; created by the first run. */
  stateFile: string;
  /** Continue after the last endCursor (default) or after the last updatedAt. */
  resumeFrom?: ResumeFrom;
  /** Incidents per request, at most 1000. */
  pageSize?: number;
}

export interface SyncedIncident {
  id: string;
  name: string;
  phase: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

/** What a run keeps for the next one. */
export interface SyncState {
  version: 1;
  /** The endCursor of the last incident seen; pass it as `after`. */
  endCursor: string | null;
  /** The updatedAt of the last incident seen; pass it as `filter.updatedAfter` (exclusive). */
  lastUpdatedAt: string | null;
}

export interface SyncReport {
  firstRun: boolean;
  created: SyncedIncident[];
  changed: SyncedIncident[];
  deleted: SyncedIncident[];
  state: SyncState;
}

interface Page {
  incidents: {
    nodes: SyncedIncident[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

// The same order and filter on every run: a cursor belongs to its list and order.
const QUERY = `query SyncIncidents($first: Int!, $after: String, $updatedAfter: DateTime) {
  incidents(
    orderBy: UPDATED_AT_ASC
    first: $first
    after: $after
    filter: { includeDeleted: true, updatedAfter: $updatedAfter }
  ) {
    nodes { id name phase createdAt updatedAt deletedAt }
    pageInfo { hasNextPage endCursor }
  }
}`;

async function readState(file: string): Promise<SyncState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    throw error;
  }
  const state = JSON.parse(text) as Partial<SyncState>;
  if (state.version !== 1) {
    throw new Error(`${file} is not a state file of this script (version ${state.version})`);
  }
  return {
    version: 1,
    endCursor: state.endCursor ?? null,
    lastUpdatedAt: state.lastUpdatedAt ?? null,
  };
}

async function writeState(file: string, state: SyncState): Promise<void> {
  // Write, then rename: a crash mid-write must not leave a state file that loses the position.
  await writeFile(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}

export async function main(options: SyncOptions): Promise<SyncReport> {
  const previous = await readState(options.stateFile);
  const resumeFrom = options.resumeFrom ?? 'cursor';
  const first = options.pageSize ?? 1000;
  const report: SyncReport = {
    firstRun: previous === null,
    created: [],
    changed: [],
    deleted: [],
    state: previous ?? { version: 1, endCursor: null, lastUpdatedAt: null },
  };
  const updatedAfter = resumeFrom === 'updatedAfter' ? (previous?.lastUpdatedAt ?? null) : null;
  let after = resumeFrom === 'cursor' ? (previous?.endCursor ?? null) : null;
  for (;;) {
    const page: Page = await graphql<Page>(options, QUERY, { first, after, updatedAfter });
    for (const incident of page.incidents.nodes) {
      if (incident.deletedAt !== null) {
        report.deleted.push(incident);
      } else if (
        previous?.lastUpdatedAt == null ||
        Date.parse(incident.createdAt) > Date.parse(previous.lastUpdatedAt)
      ) {
        // Created after everything the last run saw (the server's clock never repeats a
        // millisecond for two changes), so the reporting system does not know it yet.
        report.created.push(incident);
      } else {
        report.changed.push(incident);
      }
    }
    const { nodes, pageInfo } = page.incidents;
    const last = nodes.at(-1);
    // An empty page has no endCursor: keep the old position rather than start over next time.
    if (last && pageInfo.endCursor) {
      report.state = { version: 1, endCursor: pageInfo.endCursor, lastUpdatedAt: last.updatedAt };
    }
    if (!pageInfo.hasNextPage) {
      break;
    }
    after = pageInfo.endCursor;
  }
  await writeState(options.stateFile, report.state);
  return report;
}

if (require.main === module) {
  const token = process.env.STATUSGRAPH_TOKEN;
  if (!token) {
    process.stderr.write(
      'usage: STATUSGRAPH_TOKEN=<read-only token> [STATUSGRAPH_URL=http://localhost:4000/graphql] ' +
        'node dist/examples/sync-incidents.js [state.json] [--updated-after]\n',
    );
    process.exit(2);
  }
  const args = process.argv.slice(2);
  main({
    url: process.env.STATUSGRAPH_URL ?? 'http://localhost:4000/graphql',
    token,
    stateFile: args.find((arg) => !arg.startsWith('--')) ?? 'incident-sync-state.json',
    resumeFrom: args.includes('--updated-after') ? 'updatedAfter' : 'cursor',
  }).then(
    (report) => {
      for (const kind of ['created', 'changed', 'deleted'] as const) {
        for (const incident of report[kind]) {
          process.stdout.write(
            `${kind}\t${incident.id}\t${incident.updatedAt}\t${incident.name}\n`,
          );
        }
      }
      process.stderr.write(
        `${report.created.length} created, ${report.changed.length} changed, ` +
          `${report.deleted.length} deleted${report.firstRun ? ' (first run)' : ''}\n`,
      );
    },
    (error: unknown) => {
      process.stderr.write(`sync failed: ${error instanceof Error ? error.message : error}\n`);
      process.exitCode = 1;
    },
  );
}
