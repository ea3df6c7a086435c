import { Board } from '../../src/boards/board.entity';
import { boardRow, insertRows } from '../helpers/incident-fixture';
import { TestApp } from '../helpers/test-app';

/**
 * `board(id)` reads its row raw (issue 17's hot path) and must answer exactly what the entity
 * path answers: every timestamp shape to the millisecond on both databases, null for a deleted
 * board, another organization's or an unknown id.
 */

const INSTANTS = [
  '2026-03-01T12:00:00.000Z',
  '2026-03-01T12:00:00.100Z',
  '2026-03-01T12:00:00.120Z',
  '1970-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
];

const ONE = 'query($id: ID!) { board(id: $id) { id name createdAt updatedAt } }';

describe('board(id), read raw', () => {
  let app: TestApp;
  let boards: Board[];

  beforeAll(async () => {
    app = await TestApp.start();
    boards = INSTANTS.map((iso, i) =>
      Object.assign(boardRow(app.organization.id, `Board ${i} <b>`, new Date(iso)), {
        updatedAt: new Date(INSTANTS[(i + 1) % INSTANTS.length]),
      }),
    );
    await insertRows(app.services, Board, boards);
  }, 60_000);
  afterAll(() => app.close());

  it.each(INSTANTS.map((iso, i) => [iso, i]))(
    'created at %s: the same fields as the boards list and the stored instants',
    async (_iso, i) => {
      const board = boards[i];
      const { board: one } = await app.data<{ board: Record<string, string> }>(ONE, {
        id: board.id,
      });
      expect(one).toEqual({
        id: board.id,
        name: board.name,
        createdAt: board.createdAt.toISOString(),
        updatedAt: board.updatedAt.toISOString(),
      });
      const { boards: list } = await app.data<{ boards: { nodes: Record<string, string>[] } }>(
        '{ boards(first: 100) { nodes { id name createdAt updatedAt } } }',
      );
      expect(list.nodes.find((node) => node.id === board.id)).toEqual(one);
    },
  );

  it('null for a deleted board, an unknown id and another organization’s board', async () => {
    const deleted = Object.assign(boardRow(app.organization.id, 'Gone', new Date(INSTANTS[0])), {
      deletedAt: new Date(INSTANTS[1]),
    });
    const other = await app.services.organizations.create('Other', 'test');
    const foreign = boardRow(other.organization.id, 'Theirs', new Date(INSTANTS[0]));
    await insertRows(app.services, Board, [deleted, foreign]);
    for (const id of [deleted.id, foreign.id, '00000000-0000-4000-8000-000000000000']) {
      expect(await app.data(ONE, { id })).toEqual({ board: null });
    }
  });
});
