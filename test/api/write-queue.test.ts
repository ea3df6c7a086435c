import { AuditEvent, AuditOutcome } from '../../src/audit/audit-event.entity';
import { Board } from '../../src/boards/board.entity';
import { TestApp } from '../helpers/test-app';

describe('the SQLite write queue', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  it('runs 50 concurrent mutations without sharing or breaking a transaction', async () => {
    const secret = app.identities.full.secret;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.execute<{ createBoard: { id: string } }>(
          secret,
          'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
          { name: `Board ${i}` },
        ),
      ),
    );
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const ids = results.map((r) => r.data?.createBoard.id);
    expect(new Set(ids).size).toBe(50);

    const boards = await app.services.db.reader.findBy(Board, {
      organizationId: app.organization.id,
    });
    expect(boards.map((b) => b.id).sort()).toEqual([...ids].sort());
    const events = await app.services.db.reader.findBy(AuditEvent, { action: 'createBoard' });
    expect(events).toHaveLength(50);
    expect(events.every((e) => e.outcome === AuditOutcome.SUCCEEDED)).toBe(true);
    expect(events.map((e) => e.targetId).sort()).toEqual([...ids].sort());
  });

  it('rolls back only the failing transactions when writes interleave', async () => {
    const secret = app.identities.full.secret;
    // Every third request fails inside its transaction (the board to delete does not exist).
    const mixed = await Promise.all(
      Array.from({ length: 21 }, (_, i) =>
        i % 3 === 0
          ? app.execute(secret, 'mutation { deleteBoard(id: "missing") }')
          : app.execute(
              secret,
              'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
              {
                name: `Board ${i}`,
              },
            ),
      ),
    );
    const failed = mixed.filter((r) => r.errors?.length);
    expect(failed).toHaveLength(7);
    expect(failed.every((r) => r.errors?.[0].extensions?.code === 'NOT_FOUND')).toBe(true);
    const { reader } = app.services.db;
    expect(await reader.countBy(Board, { organizationId: app.organization.id })).toBe(14);
    expect(
      await reader.countBy(AuditEvent, { action: 'createBoard', outcome: AuditOutcome.SUCCEEDED }),
    ).toBe(14);
    expect(
      await reader.countBy(AuditEvent, { action: 'deleteBoard', outcome: AuditOutcome.FAILED }),
    ).toBe(7);
  });
});
