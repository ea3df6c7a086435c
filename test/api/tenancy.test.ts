import { randomUUID } from 'node:crypto';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { Board } from '../../src/boards/board.entity';
import { ApiToken } from '../../src/tokens/api-token.entity';
import { TokenPermission } from '../../src/tokens/token-permission';
import type { Identity } from '../helpers/test-app';
import { TestApp } from '../helpers/test-app';

type Result = Awaited<ReturnType<TestApp['execute']>>;

const MUTATIONS: Record<string, string> = {
  updateBoard: 'mutation($id: ID!) { updateBoard(id: $id, input: { name: "taken over" }) { id } }',
  deleteBoard: 'mutation($id: ID!) { deleteBoard(id: $id) }',
  updateApiToken:
    'mutation($id: ID!) { updateApiToken(id: $id, input: { name: "taken over", permission: READ_ONLY }) { id } }',
  deactivateApiToken: 'mutation($id: ID!) { deactivateApiToken(id: $id) { id } }',
  revokeApiToken: 'mutation($id: ID!) { revokeApiToken(id: $id) { id } }',
  rotateApiToken:
    'mutation($id: ID!) { rotateApiToken(id: $id, gracePeriodMinutes: 60) { secret token { id } } }',
  activateApiToken: 'mutation($id: ID!) { activateApiToken(id: $id) { id } }',
};
const BOARD_MUTATIONS = ['updateBoard', 'deleteBoard'];

const DATABASE_WORDS = /SQLITE|QueryFailed|SELECT|INSERT|UPDATE |syntax|constraint|typeorm/i;

/** A query by an unknown id: `null`, no error at all. */
function expectNull(result: Result, field: string): void {
  expect(result.errors).toBeUndefined();
  expect(result.data).toEqual({ [field]: null });
}

/** A mutation on an unknown id: NOT_FOUND only, never an internal or database error. */
function expectNotFound(result: Result): void {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  const [error] = result.errors ?? [];
  expect(error.extensions?.code).toBe('NOT_FOUND');
  expect(error.message).not.toMatch(DATABASE_WORDS);
  expect(error.message).not.toMatch(/forbidden|permission/i);
}

describe('tenant isolation', () => {
  let app: TestApp;
  let other: Identity;
  let otherOrgId: string;
  let ownBoardIds: string[];
  let otherBoardId: string;

  beforeEach(async () => {
    app = await TestApp.start();
    const created = await app.otherOrganization();
    other = created.identity;
    otherOrgId = created.organization.id;
    ownBoardIds = [];
    for (const name of ['Payments', 'Search', 'Checkout']) {
      const result = await app.execute<{ createBoard: { id: string } }>(
        app.identities.full.secret,
        'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
        { name },
      );
      expect(result.errors).toBeUndefined();
      ownBoardIds.push(result.data?.createBoard.id ?? '');
    }
    const otherBoard = await app.execute<{ createBoard: { id: string } }>(
      other.secret,
      'mutation { createBoard(input: { name: "Other board" }) { id } }',
    );
    expect(otherBoard.errors).toBeUndefined();
    otherBoardId = otherBoard.data?.createBoard.id ?? '';
    // Last-use writes of the set-up requests must not look like changes made by the tests.
    await app.services.lastUse.flush();
  });
  afterEach(() => app.close());

  /** Every row of the first organization, to prove that nothing changed. */
  async function firstOrganizationRows() {
    const { reader } = app.services.db;
    const where = { organizationId: app.organization.id };
    return {
      boards: await reader.find(Board, { where, order: { id: 'ASC' } }),
      tokens: await reader.find(ApiToken, { where, order: { id: 'ASC' } }),
      events: await reader.find(AuditEvent, { where, order: { id: 'ASC' } }),
    };
  }

  const ownTokens = () => Object.values(app.identities).map((identity) => identity.token);

  describe('lists', () => {
    it('boards: each organization sees only its own', async () => {
      const theirs = await app.execute<{ boards: { nodes: { id: string }[]; totalCount: number } }>(
        other.secret,
        '{ boards(first: 1000) { totalCount nodes { id } } }',
      );
      expect(theirs.errors).toBeUndefined();
      expect(theirs.data?.boards).toEqual({ totalCount: 1, nodes: [{ id: otherBoardId }] });

      const ours = await app.execute<{ boards: { nodes: { id: string }[]; totalCount: number } }>(
        app.identities.readOnly.secret,
        '{ boards(first: 1000) { totalCount nodes { id } } }',
      );
      expect(ours.data?.boards.totalCount).toBe(3);
      expect(ours.data?.boards.nodes.map((b) => b.id).sort()).toEqual([...ownBoardIds].sort());
    });

    it('apiTokens: each organization sees only its own, whatever the filter', async () => {
      const query = `query($filter: ApiTokenFilter) {
        apiTokens(filter: $filter, first: 1000) { totalCount nodes { id } }
      }`;
      const filters = [
        undefined,
        { status: 'ACTIVE' },
        { status: 'REVOKED' },
        { status: 'EXPIRED' },
        { status: 'INACTIVE' },
        { permission: 'READ_ONLY' },
        { permission: 'FULL_ACCESS' },
        { suggestedReadOnly: false },
      ];
      const ownIds = new Set(ownTokens().map((t) => t.id));
      for (const filter of filters) {
        const theirs = await app.execute<{
          apiTokens: { nodes: { id: string }[]; totalCount: number };
        }>(other.secret, query, { filter });
        expect(theirs.errors).toBeUndefined();
        const ids = theirs.data?.apiTokens.nodes.map((t) => t.id) ?? [];
        expect(ids.filter((id) => ownIds.has(id))).toEqual([]);
        expect(ids.every((id) => id === other.token.id)).toBe(true);
        expect(theirs.data?.apiTokens.totalCount).toBe(ids.length);
      }
      const ours = await app.execute<{ apiTokens: { nodes: { id: string }[] } }>(
        app.identities.full.secret,
        query,
      );
      const ourIds = ours.data?.apiTokens.nodes.map((t) => t.id) ?? [];
      expect(ourIds.sort()).toEqual([...ownIds].sort());
      expect(ourIds).not.toContain(other.token.id);
    });

    it('auditEvents: each organization sees only its own, even filtered by the other’s ids', async () => {
      const query = `query($filter: AuditEventFilter) {
        auditEvents(filter: $filter, first: 1000) { totalCount nodes { id action targetId token { id } } }
      }`;
      type Events = {
        auditEvents: {
          totalCount: number;
          nodes: {
            id: string;
            action: string;
            targetId: string | null;
            token: { id: string } | null;
          }[];
        };
      };
      const theirs = await app.execute<Events>(other.secret, query);
      expect(theirs.errors).toBeUndefined();
      const theirNodes = theirs.data?.auditEvents.nodes ?? [];
      expect(theirNodes.length).toBeGreaterThan(0);
      const ownEventIds = new Set(
        (
          await app.services.db.reader.findBy(AuditEvent, { organizationId: app.organization.id })
        ).map((e) => e.id),
      );
      expect(ownEventIds.size).toBeGreaterThanOrEqual(3);
      expect(theirNodes.filter((e) => ownEventIds.has(e.id))).toEqual([]);
      expect(theirNodes.some((e) => e.targetId !== null && ownBoardIds.includes(e.targetId))).toBe(
        false,
      );

      for (const filter of [
        { tokenId: app.identities.full.token.id },
        { targetId: ownBoardIds[0] },
        { action: 'createBoard', tokenId: app.identities.full.token.id },
      ]) {
        const filtered = await app.execute<Events>(other.secret, query, { filter });
        expect(filtered.errors).toBeUndefined();
        expect(filtered.data?.auditEvents).toEqual({ totalCount: 0, nodes: [] });
      }

      const ours = await app.execute<Events>(app.identities.full.secret, query);
      const ourIds = (ours.data?.auditEvents.nodes ?? []).map((e) => e.id);
      expect(new Set(ourIds)).toEqual(ownEventIds);
    });

    it('viewer shows the token’s own organization', async () => {
      const result = await app.execute<{ viewer: { organization: { id: string } } }>(
        other.secret,
        '{ viewer { organization { id } } }',
      );
      expect(result.data?.viewer.organization.id).toBe(otherOrgId);
      expect(otherOrgId).not.toBe(app.organization.id);
    });
  });

  describe('ids of another organization behave like unknown ids', () => {
    it('board(id) returns null', async () => {
      for (const id of ownBoardIds) {
        expectNull(
          await app.execute(other.secret, 'query($id: ID!) { board(id: $id) { id name } }', {
            id,
          }),
          'board',
        );
      }
      // The owner still sees it: the null is tenancy, not a broken query.
      const own = await app.execute<{ board: { id: string } | null }>(
        app.identities.readOnly.secret,
        'query($id: ID!) { board(id: $id) { id } }',
        { id: ownBoardIds[0] },
      );
      expect(own.data?.board?.id).toBe(ownBoardIds[0]);
    });

    it('apiToken(id) returns null', async () => {
      for (const token of ownTokens()) {
        expectNull(
          await app.execute(other.secret, 'query($id: ID!) { apiToken(id: $id) { id name } }', {
            id: token.id,
          }),
          'apiToken',
        );
      }
      const own = await app.execute<{ apiToken: { id: string } | null }>(
        app.identities.readOnly.secret,
        'query($id: ID!) { apiToken(id: $id) { id } }',
        { id: app.identities.full.token.id },
      );
      expect(own.data?.apiToken?.id).toBe(app.identities.full.token.id);
    });

    it.each(Object.keys(MUTATIONS))(
      '%s gives NOT_FOUND, exactly as for an unknown id, and changes nothing',
      async (mutation) => {
        // A second full-access token keeps the lock-out guard out of the way: only tenancy may refuse.
        await app.createToken('spare', TokenPermission.FULL_ACCESS);
        await app.createToken('spare', TokenPermission.FULL_ACCESS, {}, otherOrgId);
        const before = await firstOrganizationRows();
        const targets = BOARD_MUTATIONS.includes(mutation)
          ? ownBoardIds
          : ownTokens().map((t) => t.id);
        const unknown = await app.execute(other.secret, MUTATIONS[mutation], { id: randomUUID() });
        expectNotFound(unknown);
        for (const id of targets) {
          const result = await app.execute(other.secret, MUTATIONS[mutation], { id });
          expectNotFound(result);
          expect(result.errors?.[0].message).toBe(unknown.errors?.[0].message);
          expect(result.errors?.[0].extensions).toEqual(unknown.errors?.[0].extensions);
        }
        await app.services.lastUse.flush();
        expect(await firstOrganizationRows()).toEqual(before);
        // The attacker's own token is untouched by its failed attempts.
        const stillWorks = await app.execute<{ viewer: { permission: string } }>(
          other.secret,
          '{ viewer { permission } }',
        );
        expect(stillWorks.data?.viewer.permission).toBe('FULL_ACCESS');
      },
    );
  });

  describe('any string as an id', () => {
    const STRINGS: [string, string][] = [
      ['the empty string', ''],
      ['a space', ' '],
      ['SQL injection', "' OR 1=1 --"],
      ['SQL injection with quotes', '" OR ""="'],
      ['a 10,000-character string', 'x'.repeat(10_000)],
      ['unicode', 'ünïcødé 漢字 🚀 \u202e'],
      ['an unknown UUID', randomUUID()],
      ['a LIKE wildcard', '%'],
      ['an underscore', '_'],
      ['a NUL character', '\0'],
      ['a backslash', '\\'],
      ['a number-like string', '1'],
      ['a JSON-like string', '{"$ne":null}'],
    ];

    it.each(STRINGS)('%s: queries return null', async (_name, id) => {
      expectNull(
        await app.execute(app.identities.full.secret, 'query($id: ID!) { board(id: $id) { id } }', {
          id,
        }),
        'board',
      );
      expectNull(
        await app.execute(
          app.identities.full.secret,
          'query($id: ID!) { apiToken(id: $id) { id } }',
          { id },
        ),
        'apiToken',
      );
    });

    it.each(STRINGS)(
      '%s: every mutation gives NOT_FOUND and changes nothing',
      async (_name, id) => {
        await app.createToken('spare', TokenPermission.FULL_ACCESS);
        const before = await firstOrganizationRows();
        for (const mutation of Object.values(MUTATIONS)) {
          expectNotFound(await app.execute(app.identities.full.secret, mutation, { id }));
        }
        await app.services.lastUse.flush();
        const after = await firstOrganizationRows();
        expect(after.boards).toEqual(before.boards);
        expect(
          after.tokens.map(({ lastUsedAt: _a, lastUsedIp: _i, lastUsedUserAgent: _u, ...t }) => t),
        ).toEqual(
          before.tokens.map(({ lastUsedAt: _a, lastUsedIp: _i, lastUsedUserAgent: _u, ...t }) => t),
        );
      },
    );

    it('an unusual id also works as a filter value without a database error', async () => {
      for (const [, id] of STRINGS.filter(([, value]) => value !== '')) {
        const result = await app.execute<{ auditEvents: { nodes: unknown[] } }>(
          app.identities.full.secret,
          'query($id: ID!) { auditEvents(filter: { tokenId: $id, targetId: $id }) { nodes { id } } }',
          { id },
        );
        expect(result.errors).toBeUndefined();
        expect(result.data?.auditEvents.nodes).toEqual([]);
      }
    });

    // "every given field must match" (AuditEventFilter): an empty id is given, and no event has it.
    it.each(['tokenId', 'targetId'])(
      'an empty %s filter matches no event (it is not the same as no filter)',
      async (field) => {
        const result = await app.execute<{ auditEvents: { nodes: unknown[] } }>(
          app.identities.full.secret,
          `query($id: ID!) { auditEvents(filter: { ${field}: $id }) { nodes { id } } }`,
          { id: '' },
        );
        expect(result.errors).toBeUndefined();
        expect(result.data?.auditEvents.nodes).toEqual([]);
      },
    );
  });
});
