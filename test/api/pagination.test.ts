import { randomUUID } from 'node:crypto';
import { AuditEvent, AuditOutcome } from '../../src/audit/audit-event.entity';
import { Board } from '../../src/boards/board.entity';
import { ApiToken } from '../../src/tokens/api-token.entity';
import { TokenPermission } from '../../src/tokens/token-permission';
import { TestApp } from '../helpers/test-app';

interface PageJson {
  totalCount?: number;
  nodes: { id: string }[];
  edges?: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

type ListField = 'boards' | 'apiTokens' | 'auditEvents';

const SHARED = new Date('2026-03-01T12:00:00.000Z');

/** `(sort key, id)` order of API.md section 6, computed here independently of the server. */
function byKey(direction: 'ASC' | 'DESC') {
  return (a: { key: Date; id: string }, b: { key: Date; id: string }): number => {
    const diff = a.key.getTime() - b.key.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return direction === 'ASC' ? diff : -diff;
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('keyset connections', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  async function page(
    field: ListField,
    args: { first?: number; after?: string | null },
    extra = '',
  ): Promise<PageJson> {
    const result = await app.execute<Record<ListField, PageJson>>(
      app.identities.full.secret,
      `query($first: Int, $after: String) {
        ${field}(first: $first, after: $after) {
          nodes { id } pageInfo { hasNextPage endCursor } ${extra}
        }
      }`,
      args,
    );
    expect(result.errors).toBeUndefined();
    const connection = result.data?.[field];
    if (!connection) {
      throw new Error(`no ${field} in the response`);
    }
    return connection;
  }

  /** Every id of a list, walked page by page with `after`, checking each page's pageInfo. */
  async function walk(field: ListField, first: number, expectedTotal: number): Promise<string[]> {
    const ids: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 1000; pages++) {
      const current: PageJson = await page(field, { first, after });
      ids.push(...current.nodes.map((n) => n.id));
      expect(current.nodes.length).toBeLessThanOrEqual(first);
      if (!current.pageInfo.hasNextPage) {
        expect(ids).toHaveLength(expectedTotal);
        // The end: asking after the last cursor gives an empty page without a cursor.
        if (current.pageInfo.endCursor !== null) {
          const empty = await page(field, { first, after: current.pageInfo.endCursor });
          expect(empty.nodes).toEqual([]);
          expect(empty.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
        }
        return ids;
      }
      expect(current.nodes).toHaveLength(first);
      expect(current.pageInfo.endCursor).toEqual(expect.any(String));
      after = current.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  /** 120 boards: 90 at exactly the same instant, the rest just before and after it. */
  async function seedBoards(): Promise<string[]> {
    const boards: Board[] = [];
    const at = (date: Date, i: number) =>
      Object.assign(new Board(), {
        id: randomUUID(),
        organizationId: app.organization.id,
        name: `Board ${i}`,
        createdAt: date,
        updatedAt: date,
      });
    for (let i = 0; i < 120; i++) {
      const offset = i < 90 ? 0 : i < 100 ? -1 : i < 110 ? 1 : 1000;
      boards.push(at(new Date(SHARED.getTime() + offset), i));
    }
    // Another organization's boards at the same instant must not appear in the pages.
    const { organization } = await app.otherOrganization();
    const foreign = Array.from({ length: 5 }, (_, i) =>
      Object.assign(at(SHARED, 1000 + i), { organizationId: organization.id }),
    );
    await app.services.db.write((m) => m.insert(Board, [...boards, ...foreign]));
    return boards
      .map((b) => ({ key: b.createdAt, id: b.id }))
      .sort(byKey('ASC'))
      .map((b) => b.id);
  }

  describe('boards', () => {
    it.each([7, 50, 1, 119, 120, 1000])(
      'first: %i returns every board exactly once, in (createdAt, id) order',
      async (first) => {
        const expected = await seedBoards();
        const ids = await walk('boards', first, 120);
        expect(new Set(ids).size).toBe(120);
        expect(ids).toEqual(expected);
      },
    );

    it('continues from any edge cursor, not only endCursor', async () => {
      const expected = await seedBoards();
      const first = await page('boards', { first: 40 }, 'edges { cursor node { id } }');
      const edges = first.edges ?? [];
      expect(edges.map((e) => e.node.id)).toEqual(expected.slice(0, 40));
      expect(edges.at(-1)?.cursor).toBe(first.pageInfo.endCursor);
      const fromMiddle = await page('boards', { first: 30, after: edges[24].cursor });
      expect(fromMiddle.nodes.map((n) => n.id)).toEqual(expected.slice(25, 55));
    });

    it('defaults to 50 per page', async () => {
      const expected = await seedBoards();
      const first = await page('boards', {});
      expect(first.nodes.map((n) => n.id)).toEqual(expected.slice(0, 50));
      expect(first.pageInfo.hasNextPage).toBe(true);
    });

    it('first: 0 returns no nodes', async () => {
      await seedBoards();
      const empty = await page('boards', { first: 0 }, 'totalCount');
      expect(empty.nodes).toEqual([]);
      expect(empty.pageInfo.endCursor).toBeNull();
      expect(empty.totalCount).toBe(120);
    });

    it('an empty list has no cursor and no next page', async () => {
      const empty = await page('boards', { first: 10 }, 'totalCount');
      expect(empty).toEqual({
        nodes: [],
        pageInfo: { hasNextPage: false, endCursor: null },
        totalCount: 0,
      });
    });

    it('totalCount is the number of boards and does not depend on after', async () => {
      const expected = await seedBoards();
      const first = await page('boards', { first: 7 }, 'totalCount');
      expect(first.totalCount).toBe(120);
      const later = await page(
        'boards',
        { first: 7, after: first.pageInfo.endCursor },
        'totalCount',
      );
      expect(later.totalCount).toBe(120);
      expect(later.nodes.map((n) => n.id)).toEqual(expected.slice(7, 14));
    });

    it('a board created between two pages does not shift the pages already seen', async () => {
      const expected = await seedBoards();
      const first = await page('boards', { first: 50 });
      await app.execute(
        app.identities.full.secret,
        'mutation { createBoard(input: { name: "late" }) { id } }',
      );
      const second = await page('boards', { first: 50, after: first.pageInfo.endCursor });
      expect(second.nodes.map((n) => n.id)).toEqual(expected.slice(50, 100));
    });
  });

  describe('apiTokens', () => {
    it('pages every token exactly once in (createdAt, id) order, ties included', async () => {
      for (let i = 0; i < 40; i++) {
        await app.createToken(`tied ${i}`, TokenPermission.READ_ONLY, { createdAt: SHARED });
      }
      const rows = await app.services.db.reader.findBy(ApiToken, {
        organizationId: app.organization.id,
      });
      const expected = rows
        .map((r) => ({ key: r.createdAt, id: r.id }))
        .sort(byKey('ASC'))
        .map((r) => r.id);
      expect(expected).toHaveLength(45);
      for (const first of [7, 50]) {
        expect(await walk('apiTokens', first, 45)).toEqual(expected);
      }
      const counted = await page('apiTokens', { first: 3, after: null }, 'totalCount');
      expect(counted.totalCount).toBe(45);
    });
  });

  describe('auditEvents', () => {
    it('are newest first, by (at, id) descending, ties included', async () => {
      const events = Array.from({ length: 75 }, (_, i) =>
        Object.assign(new AuditEvent(), {
          id: randomUUID(),
          organizationId: app.organization.id,
          at: new Date(SHARED.getTime() + (i < 50 ? 0 : (i - 50) * 7)),
          action: 'createBoard',
          outcome: AuditOutcome.SUCCEEDED,
          tokenId: null,
          tokenName: null,
          tokenPrefix: null,
          targetType: 'Board',
          targetId: randomUUID(),
          ip: null,
        }),
      );
      await app.services.db.write((m) => m.insert(AuditEvent, events));
      const all = await app.services.db.reader.findBy(AuditEvent, {
        organizationId: app.organization.id,
      });
      const expected = all
        .map((e) => ({ key: e.at, id: e.id }))
        .sort(byKey('DESC'))
        .map((e) => e.id);
      expect(expected.length).toBeGreaterThan(75);
      expect(await walk('auditEvents', 7, expected.length)).toEqual(expected);
      expect(await walk('auditEvents', 50, expected.length)).toEqual(expected);
    });

    it('show the latest mutation first', async () => {
      for (const name of ['one', 'two', 'three']) {
        await app.execute(
          app.identities.full.secret,
          'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
          { name },
        );
      }
      const last = await app.execute<{ boards: { nodes: { id: string }[] } }>(
        app.identities.full.secret,
        '{ boards(first: 10) { nodes { id } } }',
      );
      const newest = last.data?.boards.nodes.at(-1)?.id;
      const events = await app.execute<{
        auditEvents: { nodes: { action: string; targetId: string | null }[] };
      }>(app.identities.full.secret, '{ auditEvents(first: 1) { nodes { action targetId } } }');
      expect(events.data?.auditEvents.nodes).toEqual([{ action: 'createBoard', targetId: newest }]);
    });
  });

  describe('refusals', () => {
    const LISTS: ListField[] = ['boards', 'apiTokens', 'auditEvents'];

    async function refusal(field: ListField, args: Record<string, unknown>) {
      const result = await app.execute(
        app.identities.full.secret,
        `query($first: Int, $after: String) { ${field}(first: $first, after: $after) { nodes { id } } }`,
        args,
      );
      expect(result.data ?? null).toBeNull();
      expect(result.errors).toHaveLength(1);
      return result.errors?.[0];
    }

    it.each(LISTS)('%s: first out of 0–1000 is BAD_USER_INPUT naming first', async (field) => {
      for (const first of [1001, -1, 100000]) {
        const error = await refusal(field, { first });
        expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(error?.message).toMatch(/\bfirst\b/);
        expect(error?.message).toMatch(/1000/);
      }
      // The bounds themselves are allowed.
      expect(Array.isArray((await page(field, { first: 1000 })).nodes)).toBe(true);
      expect((await page(field, { first: 0 })).nodes).toEqual([]);
    });

    it.each(LISTS)('%s: a malformed cursor is BAD_USER_INPUT', async (field) => {
      const cursors = [
        'garbage',
        b64('{}'),
        b64('["not a date","x"]'),
        b64('[]'),
        b64('["2026-03-01T12:00:00.000Z"]'),
        b64('[1700000000000,"x"]'),
        b64('null'),
        '!!!',
      ];
      for (const after of cursors) {
        const error = await refusal(field, { after });
        expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(error?.message).toMatch(/\bafter\b/);
        expect(error?.message).not.toContain(after);
      }
    });

    it('a cursor of one list used on another is refused or harmless, never an internal error', async () => {
      await seedBoards();
      const boards = await page('boards', { first: 3 });
      for (const field of LISTS) {
        const result = await app.execute(
          app.identities.full.secret,
          `query($after: String) { ${field}(first: 5, after: $after) { nodes { id } } }`,
          { after: boards.pageInfo.endCursor },
        );
        for (const error of result.errors ?? []) {
          expect(error.extensions?.code).toBe('BAD_USER_INPUT');
        }
      }
    });
  });
});
