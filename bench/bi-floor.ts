import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../src/app';

/** The BI pages the bench compares with their floors, by the path their floor answers on. */
export type BiPageName = 'board' | 'readme';

const PAGE = 1000;

/** The GraphQL document of each BI page: the first 1000 incidents, newest first. */
export const BI_PAGE_QUERIES: Record<BiPageName, string> = {
  // Issue 17's BI page: three timestamps and the board's name.
  board: `{ incidents(first: ${PAGE}) { nodes { id name severity phase startedAt resolvedAt
    updatedAt board { name } } pageInfo { hasNextPage endCursor } } }`,
  // README's BI page: board and monitors.
  readme: `{ incidents(first: ${PAGE}) { nodes { id name severity phase startedAt resolvedAt
    board { name } monitors { displayName } } pageInfo { hasNextPage endCursor } } }`,
};

interface FloorRow {
  id: string;
  name: string;
  severity: string;
  phase: string;
  started_at: string | Date;
  resolved_at: string | Date | null;
  updated_at: string | Date;
  board_name: string;
}

/**
 * The floor of a BI page: the same rows straight from the driver (its own types: SQLite's text,
 * PostgreSQL's Date per timestamptz), the board joined, the monitors in a second statement,
 * serialized to the response's JSON shape. No GraphQL, no authentication, no cost: what any
 * server of these rows must at least spend.
 */
export async function floorPage(
  services: Services,
  organizationId: string,
  page: BiPageName,
): Promise<string> {
  const rows = await services.db.read<FloorRow>(
    `SELECT i.id, i.name, i.severity, i.phase, i.started_at, i.resolved_at, i.updated_at,
       b.name AS board_name
     FROM incident i JOIN board b ON b.id = i.board_id
     WHERE i.organization_id = :org AND i.deleted_at IS NULL
     ORDER BY i.started_at DESC, i.id DESC LIMIT ${PAGE + 1}`,
    { org: organizationId },
  );
  const shown = rows.slice(0, PAGE);
  const monitors = page === 'readme' ? await monitorNames(services, shown) : null;
  const nodes = shown.map((row) => {
    const node: Record<string, unknown> = {
      id: row.id,
      name: row.name,
      severity: row.severity,
      phase: row.phase,
      startedAt: row.started_at,
      resolvedAt: row.resolved_at,
    };
    if (page === 'board') {
      node.updatedAt = row.updated_at;
    }
    node.board = { name: row.board_name };
    if (monitors) {
      node.monitors = monitors.get(row.id) ?? [];
    }
    return node;
  });
  const last = shown.at(-1);
  const endCursor = last
    ? Buffer.from(JSON.stringify([last.started_at, last.id, 'incidents.startedAt:DESC'])).toString(
        'base64url',
      )
    : null;
  return JSON.stringify({
    data: { incidents: { nodes, pageInfo: { hasNextPage: rows.length > PAGE, endCursor } } },
  });
}

async function monitorNames(
  services: Services,
  rows: FloorRow[],
): Promise<Map<string, { displayName: string }[]>> {
  const links = await services.db.read<{ incident_id: string; display_name: string }>(
    `SELECT im.incident_id, m.display_name FROM incident_monitor im
     JOIN monitor m ON m.id = im.monitor_id
     WHERE im.incident_id IN (:...ids) ORDER BY m.display_name, m.id`,
    { ids: rows.map((row) => row.id) },
  );
  const byIncident = new Map<string, { displayName: string }[]>();
  for (const link of links) {
    const list = byIncident.get(link.incident_id);
    const monitor = { displayName: link.display_name };
    if (list) {
      list.push(monitor);
    } else {
      byIncident.set(link.incident_id, [monitor]);
    }
  }
  return byIncident;
}

/** `POST /floor/<page>?org=<id>`: a floor page as an HTTP answer, for autocannon. */
export function floorHandler(services: Services) {
  return (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://floor');
    const page = url.pathname.slice('/floor/'.length) as BiPageName;
    const org = url.searchParams.get('org') ?? '';
    request.resume();
    request.on('end', () => {
      floorPage(services, org, page).then(
        (body) => {
          response.writeHead(200, { 'content-type': 'application/json' }).end(body);
        },
        (error: unknown) => {
          response.writeHead(500).end(String(error));
        },
      );
    });
  };
}
