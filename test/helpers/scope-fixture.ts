import type { Identity, TestApp } from './test-app';
import type { TokenPermission } from '../../src/tokens/token-permission';

type Vars = Record<string, unknown>;

/** A token limited to `boardIds`, made directly (fixture set-up, not audited). */
export async function scopedToken(
  app: TestApp,
  name: string,
  permission: TokenPermission,
  boardIds: string[],
): Promise<Identity> {
  const { token, secret } = await app.services.db.write((manager) =>
    app.services.tokens.insert(manager, app.organization.id, { name, permission, boardIds }),
  );
  return { name, secret, token };
}

/** The objects of one board that the scope tests aim at, by type. */
export interface BoardData {
  boardId: string;
  websiteId: string;
  customId: string;
  incidentId: string;
  deletedIncidentId: string;
  statusEventIds: string[];
  updateIds: string[];
}

/**
 * A board with a WEBSITE monitor (with request headers) and a CUSTOM one with two status events,
 * a live incident with an update, and a deleted one, made through the API with a full-access
 * token (`secret`, the app's own by default: another organization's seeds its own board). The
 * incidents list `linkTo` too (monitors of another board), so that links cross boards.
 */
export async function seedBoard(
  app: TestApp,
  name: string,
  linkTo: string[] = [],
  secret = app.identities.full.secret,
) {
  const run = <T>(query: string, variables?: Vars) => app.data<T>(query, variables, secret);
  const { createBoard } = await run<{ createBoard: { id: string } }>(
    'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
    { name },
  );
  const createMonitor = async (input: Vars) =>
    (
      await run<{ createMonitor: { id: string } }>(
        'mutation($input: CreateMonitorInput!) { createMonitor(input: $input) { id } }',
        { input: { boardId: createBoard.id, ...input } },
      )
    ).createMonitor.id;
  const websiteId = await createMonitor({
    displayName: `${name} site`,
    monitorType: 'WEBSITE',
    url: 'https://example.com/',
    requestHeaders: [{ name: 'Authorization', value: `Bearer ${name}` }],
  });
  const customId = await createMonitor({ displayName: `${name} job`, monitorType: 'CUSTOM' });
  for (const status of ['UP', 'DOWN']) {
    await run(
      'mutation($id: ID!, $s: MonitorStatus!) { setMonitorStatus(id: $id, status: $s) { id } }',
      {
        id: customId,
        s: status,
      },
    );
  }
  const { monitor } = await run<{ monitor: { statusEvents: { nodes: { id: string }[] } } }>(
    'query($id: ID!) { monitor(id: $id) { statusEvents { nodes { id } } } }',
    { id: customId },
  );
  const createIncident = async (incidentName: string) =>
    (
      await run<{ createIncident: { id: string } }>(
        'mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }',
        {
          input: {
            boardId: createBoard.id,
            name: incidentName,
            severity: 'MAJOR',
            monitorIds: [customId, websiteId, ...linkTo],
          },
        },
      )
    ).createIncident.id;
  const incidentId = await createIncident(`${name} outage`);
  const { addIncidentUpdate } = await run<{ addIncidentUpdate: { updates: { id: string }[] } }>(
    'mutation($id: ID!) { addIncidentUpdate(incidentId: $id, input: { phase: IDENTIFIED, message: "Found." }) { updates { id } } }',
    { id: incidentId },
  );
  const deletedIncidentId = await createIncident(`${name} old outage`);
  await run('mutation($id: ID!) { deleteIncident(id: $id) }', { id: deletedIncidentId });
  const data: BoardData = {
    boardId: createBoard.id,
    websiteId,
    customId,
    incidentId,
    deletedIncidentId,
    statusEventIds: monitor.statusEvents.nodes.map((event) => event.id),
    updateIds: addIncidentUpdate.updates.map((update) => update.id),
  };
  return data;
}

/** Every object id of a seeded board, with its type, as `Type:id`. */
export function typedIds(board: BoardData): string[] {
  return [
    `Board:${board.boardId}`,
    `Monitor:${board.websiteId}`,
    `Monitor:${board.customId}`,
    `Incident:${board.incidentId}`,
    `Incident:${board.deletedIncidentId}`,
    ...board.statusEventIds.map((id) => `StatusEvent:${id}`),
    ...board.updateIds.map((id) => `IncidentUpdate:${id}`),
  ];
}
