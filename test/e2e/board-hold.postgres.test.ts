import { TestApp } from '../helpers/test-app';
import { until } from '../helpers/wait';

/**
 * A change that hangs something off a board (a new incident, a new monitor) holds the board with
 * `FOR SHARE` (BoardService.hold), not `FOR UPDATE`: such changes of one board go on side by
 * side instead of one after another (under load, each waited for the whole transaction of the
 * one before: issue 13's createIncident tail), while a change of the board itself still waits
 * for them, so that no incident is made on a board being deleted. Order of service, not timing:
 * a transaction holds the board open while the others are sent.
 */
describe('changes that hang something off a board hold it shared (PostgreSQL)', () => {
  let app: TestApp;
  let boardId: string;
  let monitorId: string;

  beforeAll(async () => {
    app = await TestApp.start();
    const { createBoard } = await app.data<{ createBoard: { id: string } }>(
      'mutation { createBoard(input: { name: "Shop" }) { id } }',
    );
    boardId = createBoard.id;
    const { createMonitor } = await app.data<{ createMonitor: { id: string } }>(
      `mutation($boardId: ID!) {
        createMonitor(input: { boardId: $boardId, displayName: "API", monitorType: WEBSITE, url: "https://example.com" }) { id }
      }`,
      { boardId },
    );
    monitorId = createMonitor.id;
  });
  afterAll(() => app.close());

  /** Holds the board in a transaction of its own (as createIncident does) until `release`. */
  async function holdBoard(): Promise<{ release: () => Promise<void> }> {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = () => {};
    const holding = new Promise<void>((resolve) => (held = resolve));
    const done = app.services.db.dataSource.transaction(async (manager) => {
      await app.services.boards.hold(manager, app.systemActor(), boardId);
      held();
      await released;
    });
    await holding;
    return {
      release: async () => {
        release();
        await done;
      },
    };
  }

  /** Lock requests PostgreSQL has not granted yet. */
  async function waitingLocks(): Promise<number> {
    const [row] = await app.services.db.dataSource.query(
      'SELECT count(*)::int AS waiting FROM pg_locks WHERE NOT granted',
    );
    return (row as { waiting: number }).waiting;
  }

  it('an incident and a monitor are created while another change holds their board', async () => {
    const holder = await holdBoard();
    try {
      const { createIncident } = await app.data<{ createIncident: { monitors: { id: string }[] } }>(
        `mutation($input: CreateIncidentInput!) { createIncident(input: $input) { monitors { id } } }`,
        { input: { boardId, name: 'Checkout errors', severity: 'MAJOR', monitorIds: [monitorId] } },
      );
      expect(createIncident.monitors).toEqual([{ id: monitorId }]);
      const { createMonitor } = await app.data<{ createMonitor: { id: string } }>(
        `mutation($boardId: ID!) {
          createMonitor(input: { boardId: $boardId, displayName: "Web", monitorType: WEBSITE, url: "https://example.org" }) { id }
        }`,
        { boardId },
      );
      expect(createMonitor.id).toEqual(expect.any(String));
    } finally {
      await holder.release();
    }
  });

  it('deleting the board waits for the change that holds it, then goes through', async () => {
    const holder = await holdBoard();
    let deleted = false;
    const deletion = app
      .data<{ deleteBoard: string }>('mutation($id: ID!) { deleteBoard(id: $id) }', { id: boardId })
      .then((data) => {
        deleted = true;
        return data;
      });
    try {
      await until(async () => (await waitingLocks()) > 0, 'the deletion to wait for the board');
      expect(deleted).toBe(false);
    } finally {
      await holder.release();
    }
    expect(await deletion).toEqual({ deleteBoard: boardId });
  });
});
