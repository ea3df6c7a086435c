import type { TestApp } from './test-app';

export interface ExportResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** `GET /export/<file>` with `secret` as a Bearer token (null: no Authorization), read whole. */
export async function getExport(
  app: TestApp,
  file: string,
  secret: string | null = app.identities.full.secret,
  headers: Record<string, string> = {},
): Promise<ExportResponse> {
  const response = await fetch(`${app.url}/export/${file}`, {
    headers: {
      ...(secret === null ? {} : { authorization: `Bearer ${secret}` }),
      ...headers,
    },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The objects of an NDJSON body, each line parsed alone; every line must end with LF. */
export function parseNdjson(text: string): Record<string, unknown>[] {
  if (text === '') {
    return [];
  }
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * The rows of a CSV body by RFC 4180, written here independently of the server's writer:
 * records end with CRLF, a quoted field may hold commas, doubled quotes and line breaks.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) {
          throw new Error('unterminated quoted field');
        }
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += text[i++];
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        cell += text[i++];
      }
    }
    row.push(cell);
    if (text[i] === ',') {
      i++;
    } else if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
    } else {
      throw new Error(`expected a comma or CRLF at ${i}`);
    }
  }
  return rows;
}

/** The cell API.md section 12 asks for, for a value of the GraphQL pull. */
export function expectedCell(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Array.isArray(value)) {
    return value.join(' ');
  }
  const text = String(value);
  return typeof value === 'string' && /^[=+\-@]/.test(text) ? `'${text}` : text;
}

/** Every node of a GraphQL list, 1000 at a time following endCursor, as the holder of `secret`. */
export async function pullAll<T>(
  app: TestApp,
  secret: string,
  field: 'incidents' | 'monitors' | 'statusEvents',
  selection: string,
  args: { filter?: Record<string, unknown>; orderBy?: string } = {},
): Promise<T[]> {
  const nodes: T[] = [];
  let after: string | null = null;
  const orderArg = field === 'incidents' ? ', $orderBy: IncidentOrder! = STARTED_AT_DESC' : '';
  const orderUse = field === 'incidents' ? ', orderBy: $orderBy' : '';
  const filterType = {
    incidents: 'IncidentFilter',
    monitors: 'MonitorFilter',
    statusEvents: 'StatusEventFilter',
  }[field];
  const query = `query($after: String, $filter: ${filterType}${orderArg}) { list: ${field}(first: 1000, after: $after, filter: $filter${orderUse}) { nodes { ${selection} } pageInfo { hasNextPage endCursor } } }`;
  for (;;) {
    const variables: Record<string, unknown> = { after, filter: args.filter ?? null };
    if (field === 'incidents') {
      variables.orderBy = args.orderBy ?? 'STARTED_AT_DESC';
    }
    const { list } = await app.client(secret).data<{
      list: { nodes: T[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
    }>(query, variables);
    nodes.push(...list.nodes);
    if (!list.pageInfo.hasNextPage) {
      return nodes;
    }
    after = list.pageInfo.endCursor;
  }
}

export const INCIDENT_SELECTION =
  'id board { id } name details severity phase monitors { id } startedAt resolvedAt willStartAt willEndAt createdAt updatedAt deletedAt';
export const MONITOR_SELECTION =
  'id board { id } displayName monitorType status paused url host serviceName checkIntervalMinutes lastCheckedAt createdAt updatedAt';
export const STATUS_EVENT_SELECTION = 'id monitor { id } status previousStatus message recordedAt';

type Linked = Record<string, unknown> & {
  board?: { id: string } | null;
  monitor?: { id: string } | null;
  monitors?: { id: string }[];
};

/** A node of the GraphQL pull as an export row: links as ids, in the export's column order. */
export function asExportRow(node: Linked): Record<string, unknown> {
  const { board, monitor, monitors, ...fields } = node;
  return {
    ...fields,
    ...(board === undefined ? {} : { boardId: board?.id ?? null }),
    ...(monitor === undefined ? {} : { monitorId: monitor?.id ?? null }),
    ...(monitors === undefined ? {} : { monitorIds: monitors.map((m) => m.id) }),
  };
}
