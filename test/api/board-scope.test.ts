import { ApiTokenBoard } from '../../src/tokens/api-token-board.entity';
import { ApiToken } from '../../src/tokens/api-token.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { TokenPermission } from '../../src/tokens/token-permission';
import { type BoardData, scopedToken, seedBoard } from '../helpers/scope-fixture';
import { TestApp } from '../helpers/test-app';

type Vars = Record<string, unknown>;

const CREATE = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret token { id permission boards { id } } }
}`;
const UPDATE = `mutation($id: ID!, $input: UpdateApiTokenInput!) {
  updateApiToken(id: $id, input: $input) { id boards { id } }
}`;
const BOARD_IDS = '{ boards(first: 100) { totalCount nodes { id } } }';

type Created = {
  createApiToken: { secret: string; token: { id: string; boards: { id: string }[] | null } };
};
type Boards = { boards: { totalCount: number; nodes: { id: string }[] } };

describe('board-scoped tokens', () => {
  let app: TestApp;
  let a: BoardData;
  let b: BoardData;

  beforeEach(async () => {
    app = await TestApp.start();
    b = await seedBoard(app, 'B');
    a = await seedBoard(app, 'A', [b.customId]);
  });
  afterEach(() => app.close());

  const tokenCount = () => app.services.db.reader.count(ApiToken);
  const ids = (nodes: { id: string }[]) => nodes.map((n) => n.id).sort();

  describe('scope on creation and change', () => {
    it('createApiToken(boardIds) limits the new token to those boards, at once', async () => {
      const { createApiToken } = await app.data<Created>(CREATE, {
        input: { name: 'A only', permission: 'READ_ONLY', boardIds: [a.boardId, a.boardId] },
      });
      expect(createApiToken.token.boards).toEqual([{ id: a.boardId }]);
      const seen = await app.data<Boards>(BOARD_IDS, undefined, createApiToken.secret);
      expect(seen.boards).toEqual({ totalCount: 1, nodes: [{ id: a.boardId }] });

      const wide = await app.data<Created>(CREATE, {
        input: { name: 'everything', permission: 'READ_ONLY', boardIds: null },
      });
      expect(wide.createApiToken.token.boards).toBeNull();
      const all = await app.data<Boards>(BOARD_IDS, undefined, wide.createApiToken.secret);
      expect(ids(all.boards.nodes)).toEqual([a.boardId, b.boardId].sort());
    });

    it('refuses an empty list (BAD_USER_INPUT) and boards it does not know (NOT_FOUND), creating nothing', async () => {
      const other = await app.otherOrganization();
      const { createBoard } = await app.data<{ createBoard: { id: string } }>(
        'mutation { createBoard(input: { name: "Gone" }) { id } }',
      );
      await app.data('mutation($id: ID!) { deleteBoard(id: $id) }', { id: createBoard.id });
      const theirs = await app.data<{ createBoard: { id: string } }>(
        'mutation { createBoard(input: { name: "Theirs" }) { id } }',
        undefined,
        other.identity.secret,
      );
      const before = await tokenCount();

      const empty = await app.execute(app.identities.full.secret, CREATE, {
        input: { name: 'none', permission: 'READ_ONLY', boardIds: [] },
      });
      expect(empty.errors?.map((e) => e.extensions)).toEqual([
        { code: 'BAD_USER_INPUT', field: 'boardIds' },
      ]);
      expect(empty.errors?.[0].message).toMatch(/boardIds must name 1–1000 boards/);

      for (const unknown of [createBoard.id, theirs.createBoard.id, 'no such board']) {
        const result = await app.execute(app.identities.full.secret, CREATE, {
          input: { name: 'bad', permission: 'READ_ONLY', boardIds: [a.boardId, unknown] },
        });
        expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      }
      expect(await tokenCount()).toBe(before);
    });

    it('updateApiToken(boardIds) narrows or widens the scope from the very next request', async () => {
      const token = await scopedToken(app, 'BI', TokenPermission.READ_ONLY, [a.boardId]);
      const read = () => app.data<Boards>(BOARD_IDS, undefined, token.secret);
      expect(ids((await read()).boards.nodes)).toEqual([a.boardId]);

      const both = await app.data<{ updateApiToken: { boards: { id: string }[] } }>(UPDATE, {
        id: token.token.id,
        input: { boardIds: [b.boardId, a.boardId] },
      });
      expect(ids(both.updateApiToken.boards)).toEqual([a.boardId, b.boardId].sort());
      expect((await read()).boards.totalCount).toBe(2);

      await app.data(UPDATE, { id: token.token.id, input: { boardIds: [b.boardId] } });
      expect(ids((await read()).boards.nodes)).toEqual([b.boardId]);
      const monitor = await app.execute(
        token.secret,
        'query($id: ID!) { monitor(id: $id) { id } }',
        {
          id: a.customId,
        },
      );
      expect(monitor.data).toEqual({ monitor: null });

      const wide = await app.data<{ updateApiToken: { boards: null } }>(UPDATE, {
        id: token.token.id,
        input: { boardIds: null },
      });
      expect(wide.updateApiToken.boards).toBeNull();
      expect((await read()).boards.totalCount).toBe(2);
      // Renaming leaves the scope as it is.
      await app.data(UPDATE, { id: token.token.id, input: { boardIds: [a.boardId] } });
      const renamed = await app.data<{ updateApiToken: { boards: { id: string }[] } }>(UPDATE, {
        id: token.token.id,
        input: { name: 'BI (A)' },
      });
      expect(renamed.updateApiToken.boards).toEqual([{ id: a.boardId }]);
    });

    it('a scoped token reads itself, and no other token', async () => {
      const token = await scopedToken(app, 'A full', TokenPermission.FULL_ACCESS, [a.boardId]);
      const own = await app.data<{
        viewer: { permission: string; token: { id: string; boards: { id: string }[] } };
        apiToken: { id: string };
      }>(
        'query($id: ID!) { viewer { permission token { id boards { id } } } apiToken(id: $id) { id } }',
        { id: token.token.id },
        token.secret,
      );
      expect(own).toEqual({
        viewer: {
          permission: 'FULL_ACCESS',
          token: { id: token.token.id, boards: [{ id: a.boardId }] },
        },
        apiToken: { id: token.token.id },
      });
      for (const other of [app.identities.full, app.identities.readOnly]) {
        const result = await app.execute(
          token.secret,
          'query($id: ID!) { apiToken(id: $id) { id } }',
          {
            id: other.token.id,
          },
        );
        expect(result.errors).toBeUndefined();
        expect(result.data).toEqual({ apiToken: null });
      }
    });
  });

  describe('deleted boards', () => {
    it('leave the scope; a token whose last board is deleted sees nothing, never everything', async () => {
      const token = await scopedToken(app, 'BI', TokenPermission.READ_ONLY, [a.boardId, b.boardId]);
      await app.data('mutation($id: ID!) { deleteBoard(id: $id) }', { id: b.boardId });
      const links = () => app.services.db.reader.findBy(ApiTokenBoard, { tokenId: token.token.id });
      expect((await links()).map((l) => l.boardId)).toEqual([a.boardId]);
      expect(
        ids((await app.data<Boards>(BOARD_IDS, undefined, token.secret)).boards.nodes),
      ).toEqual([a.boardId]);

      await app.data('mutation($id: ID!) { deleteBoard(id: $id) }', { id: a.boardId });
      expect(await links()).toEqual([]);
      // Something the organization still has, which the emptied token must not see.
      await app.data('mutation { createBoard(input: { name: "New" }) { id } }');
      const seen = await app.data<{
        viewer: { token: { boards: unknown[] } };
        boards: { totalCount: number };
        monitors: { totalCount: number };
        incidents: { totalCount: number };
        statusEvents: { totalCount: number };
      }>(
        `{ viewer { token { boards { id } } } boards { totalCount } monitors { totalCount }
           incidents(filter: { includeDeleted: true }) { totalCount } statusEvents { totalCount } }`,
        undefined,
        token.secret,
      );
      expect(seen).toEqual({
        viewer: { token: { boards: [] } },
        boards: { totalCount: 0 },
        monitors: { totalCount: 0 },
        incidents: { totalCount: 0 },
        statusEvents: { totalCount: 0 },
      });
      const listed = await app.data<{ apiToken: { boards: unknown[] } }>(
        'query($id: ID!) { apiToken(id: $id) { boards { id } } }',
        { id: token.token.id },
      );
      expect(listed.apiToken.boards).toEqual([]);
    });
  });

  describe('changes by a scoped FULL_ACCESS token', () => {
    const UPDATE_INCIDENT = `mutation($id: ID!, $monitorIds: [ID!]) {
      updateIncident(id: $id, input: { monitorIds: $monitorIds }) { monitors { id } }
    }`;

    it('never remove an incident’s link to a monitor it cannot see', async () => {
      const token = await scopedToken(app, 'A full', TokenPermission.FULL_ACCESS, [a.boardId]);
      const links = async () =>
        (await app.services.db.reader.findBy(IncidentMonitor, { incidentId: a.incidentId }))
          .map((l) => l.monitorId)
          .sort();
      expect(await links()).toEqual([a.customId, a.websiteId, b.customId].sort());

      const { updateIncident } = await app.data<{ updateIncident: { monitors: { id: string }[] } }>(
        UPDATE_INCIDENT,
        { id: a.incidentId, monitorIds: [a.websiteId] },
        token.secret,
      );
      // It sees its own change, and only monitors of its board.
      expect(updateIncident.monitors).toEqual([{ id: a.websiteId }]);
      expect(await links()).toEqual([a.websiteId, b.customId].sort());

      await app.data(UPDATE_INCIDENT, { id: a.incidentId, monitorIds: [] }, token.secret);
      expect(await links()).toEqual([b.customId]);
      // An organization-wide token's change is the whole list.
      await app.data(UPDATE_INCIDENT, { id: a.incidentId, monitorIds: [a.customId] });
      expect(await links()).toEqual([a.customId]);
    });

    it('refuse monitors and boards outside the scope as unknown ids', async () => {
      const token = await scopedToken(app, 'A full', TokenPermission.FULL_ACCESS, [a.boardId]);
      const attempts: [string, Vars][] = [
        [
          'mutation($b: ID!, $m: ID!) { createIncident(input: { boardId: $b, name: "x", severity: MINOR, monitorIds: [$m] }) { id } }',
          { b: a.boardId, m: b.customId },
        ],
        [UPDATE_INCIDENT, { id: a.incidentId, monitorIds: [a.customId, b.websiteId] }],
        [
          'mutation($id: ID!, $b: ID!) { updateMonitor(id: $id, input: { boardId: $b }) { id } }',
          { id: a.customId, b: b.boardId },
        ],
        [
          'mutation($b: ID!) { createMonitor(input: { boardId: $b, displayName: "x", monitorType: CUSTOM }) { id } }',
          { b: b.boardId },
        ],
      ];
      const before = await app.services.db.reader.find(IncidentMonitor);
      for (const [query, variables] of attempts) {
        const result = await app.execute(token.secret, query, variables);
        expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
        expect(result.errors?.[0].message).not.toMatch(/forbidden|scope|permission/i);
      }
      expect(await app.services.db.reader.find(IncidentMonitor)).toEqual(before);
    });
  });

  describe('idempotent replays', () => {
    const CREATE_INCIDENT = `mutation($b: ID!) {
      createIncident(input: { boardId: $b, name: "Retried", severity: MINOR }) { id }
    }`;

    /** A POST with an Idempotency-Key, as a retrying script sends it. */
    async function send(secret: string, key: string) {
      const response = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: app.client(secret).headers({ 'Idempotency-Key': key }),
        body: JSON.stringify({ query: CREATE_INCIDENT, variables: { b: b.boardId } }),
      });
      const text = await response.text();
      return {
        status: response.status,
        text,
        replayed: response.headers.get('idempotency-replayed'),
      };
    }

    it('are authorized with the token’s boards as they are now', async () => {
      const token = await scopedToken(app, 'script', TokenPermission.FULL_ACCESS, [
        a.boardId,
        b.boardId,
      ]);
      const incidents = () =>
        app.data<{ incidents: { totalCount: number } }>(
          'query($b: ID!) { incidents(filter: { boardId: $b }) { totalCount } }',
          { b: b.boardId },
        );
      const before = (await incidents()).incidents.totalCount;
      const first = await send(token.secret, 'retry-1');
      expect(first.status).toBe(200);
      const again = await send(token.secret, 'retry-1');
      expect(again).toMatchObject({ replayed: 'true', text: first.text });

      await app.data(UPDATE, { id: token.token.id, input: { boardIds: [a.boardId] } });
      const afterNarrowing = await send(token.secret, 'retry-1');
      // Neither the stored response (an incident of a board it no longer has) nor a second run.
      expect(afterNarrowing.replayed).toBeNull();
      expect(afterNarrowing.status).toBe(422);
      expect(afterNarrowing.text).not.toContain(JSON.parse(first.text).data.createIncident.id);
      expect(afterNarrowing.text).toContain('token’s boards changed');
      expect((await incidents()).incidents.totalCount).toBe(before + 1);
    });
  });

  describe('the lock-out guard', () => {
    const REVOKE = 'mutation($id: ID!) { revokeApiToken(id: $id) { id status } }';

    it('counts only organization-wide FULL_ACCESS tokens, and refuses to scope the last one', async () => {
      await scopedToken(app, 'A full', TokenPermission.FULL_ACCESS, [a.boardId, b.boardId]);
      const last = app.identities.full.token.id;

      const revoked = await app.execute(app.identities.full.secret, REVOKE, { id: last });
      expect(revoked.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      const scoped = await app.execute(app.identities.full.secret, UPDATE, {
        id: last,
        input: { boardIds: [a.boardId] },
      });
      expect(scoped.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(scoped.errors?.[0].message).toMatch(
        /last usable full-access token.*limited to some boards/,
      );
      const stored = await app.services.db.reader.findOneByOrFail(ApiToken, { id: last });
      expect({ boardScoped: stored.boardScoped, revokedAt: stored.revokedAt }).toEqual({
        boardScoped: false,
        revokedAt: null,
      });

      // With a second organization-wide one, the first may be scoped.
      await app.data(CREATE, { input: { name: 'spare', permission: 'FULL_ACCESS' } });
      const { updateApiToken } = await app.data<{ updateApiToken: { boards: { id: string }[] } }>(
        UPDATE,
        { id: last, input: { boardIds: [a.boardId] } },
      );
      expect(updateApiToken.boards).toEqual([{ id: a.boardId }]);
    });
  });
});
