/**
 * Exports every incident to CSV with a READ_ONLY token, 1000 per request, following endCursor.
 *
 *   npm run build
 *   STATUSGRAPH_TOKEN=sgp_... node dist/examples/export-incidents-csv.js > incidents.csv
 *   STATUSGRAPH_TOKEN=sgp_... node dist/examples/export-incidents-csv.js incidents.csv
 *
 * Only Node's global fetch: copy this file into any Node >= 20 project.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { graphql } from './graphql-client';

export interface ExportOptions {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  /** A READ_ONLY token is enough (and all such a script should hold). */
  token: string;
  /** Write the CSV to this file; without it, to `output`. */
  file?: string;
  /** Where the CSV goes without `file`; process.stdout by default. */
  output?: NodeJS.WritableStream;
  /** Incidents per request, at most 1000 (the API's limit). */
  pageSize?: number;
}

export interface ExportResult {
  rows: number;
  pages: number;
}

export const COLUMNS = [
  'id',
  'name',
  'severity',
  'phase',
  'board',
  'startedAt',
  'resolvedAt',
  'updatedAt',
  'deletedAt',
] as const;

interface IncidentRow {
  id: string;
  name: string;
  severity: string;
  phase: string;
  board: { name: string };
  startedAt: string;
  resolvedAt: string | null;
  updatedAt: string;
  deletedAt: string | null;
}

interface Page {
  incidents: {
    nodes: IncidentRow[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

// Oldest first, so the file reads like a history. includeDeleted: the deletedAt column then tells
// a BI tool which rows to drop, instead of rows silently vanishing between two exports.
const QUERY = `query ExportIncidents($first: Int!, $after: String) {
  incidents(first: $first, after: $after, orderBy: STARTED_AT_ASC, filter: { includeDeleted: true }) {
    nodes { id name severity phase board { name } startedAt resolvedAt updatedAt deletedAt }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string | null): string {
  const text = value ?? '';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvLine(fields: (string | null)[]): string {
  // CRLF between records, as RFC 4180 asks and spreadsheet imports expect.
  return fields.map(csvField).join(',') + '\r\n';
}

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  // Respect backpressure: a 100,000-row export must not sit in memory waiting for a slow disk.
  if (!stream.write(text)) {
    await once(stream, 'drain');
  }
}

export async function main(options: ExportOptions): Promise<ExportResult> {
  const first = options.pageSize ?? 1000;
  // A file is written under a temporary name and renamed at the end, so a failed export never
  // leaves a truncated file that looks like a complete one.
  const temporary = options.file ? `${options.file}.partial` : null;
  const output: NodeJS.WritableStream = temporary
    ? createWriteStream(temporary)
    : (options.output ?? process.stdout);
  if (temporary) {
    // A write error later on is reported by finished() below, not as an uncaught 'error' event.
    output.on('error', () => undefined);
    // Fails here, with the reason, when the folder does not exist or is not writable.
    await once(output, 'open');
  }
  let rows = 0;
  let pages = 0;
  try {
    await write(output, csvLine([...COLUMNS]));
    let after: string | null = null;
    do {
      const page: Page = await graphql<Page>(options, QUERY, { first, after });
      pages++;
      const lines = page.incidents.nodes.map((incident) =>
        csvLine([
          incident.id,
          incident.name,
          incident.severity,
          incident.phase,
          incident.board.name,
          incident.startedAt,
          incident.resolvedAt,
          incident.updatedAt,
          incident.deletedAt,
        ]),
      );
      await write(output, lines.join(''));
      rows += lines.length;
      const { hasNextPage, endCursor } = page.incidents.pageInfo;
      after = hasNextPage ? endCursor : null;
    } while (after !== null);
    if (temporary && options.file) {
      output.end();
      // Rejects with the stream's error, if writing failed on the way.
      await finished(output);
      await rename(temporary, options.file);
    }
  } catch (error) {
    if (temporary) {
      output.end();
      await finished(output).catch(() => undefined);
      await rm(temporary, { force: true });
    }
    throw error;
  }
  return { rows, pages };
}

if (require.main === module) {
  const token = process.env.STATUSGRAPH_TOKEN;
  if (!token) {
    process.stderr.write(
      'usage: STATUSGRAPH_TOKEN=<read-only token> [STATUSGRAPH_URL=http://localhost:4000/graphql] ' +
        'node dist/examples/export-incidents-csv.js [file.csv]\n',
    );
    process.exit(2);
  }
  main({
    url: process.env.STATUSGRAPH_URL ?? 'http://localhost:4000/graphql',
    token,
    file: process.argv[2],
  }).then(
    ({ rows, pages }) => process.stderr.write(`${rows} incidents in ${pages} pages\n`),
    (error: unknown) => {
      process.stderr.write(`export failed: ${error instanceof Error ? error.message : error}\n`);
      process.exitCode = 1;
    },
  );
}
