import { Board } from '../../src/boards/board.entity';
import { IncidentPhase, IncidentSeverity } from '../../src/incidents/incident-enums';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { Monitor } from '../../src/monitors/monitor.entity';
import { boardRow, incidentRow, insertRows, monitorRow } from '../helpers/incident-fixture';
import { TestApp } from '../helpers/test-app';

/**
 * Incremental sync as API.md section 5 describes it: a reporting system walks incidents by
 * `(updatedAt, id)` with includeDeleted, keeps the last endCursor (or the last updatedAt), and
 * asks again later; it must see every change, creation and deletion exactly once.
 */

interface SyncedIncident {
  id: string;
  name: string;
  phase: IncidentPhase;
  updatedAt: string;
  deletedAt: string | null;
  resolvedAt: string | null;
}

interface PageJson {
  nodes: SyncedIncident[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const SYNC = `query($after: String, $first: Int, $updatedAfter: DateTime) {
  incidents(
    orderBy: UPDATED_AT_ASC
    first: $first
    after: $after
    filter: { includeDeleted: true, updatedAfter: $updatedAfter }
  ) {
    nodes { id name phase updatedAt deletedAt resolvedAt }
    pageInfo { hasNextPage endCursor }
  }
}`;

const PAST = new Date('2026-01-10T09:00:00.000Z');

interface Fixture {
  boardA: string;
  boardB: string;
  /** On board A: deleted through the API; listed by incidents of board A. */
  monitorDoomed: string;
  /** On board B (deleted with it); listed by an incident of board A. */
  monitorOnB: string;
  /** On board A, stays. */
  monitorKept: string;
  /** Live incidents of board A, by role. */
  a: Incident[];
  /** Live incidents of board B. */
  b: Incident[];
  /** A tombstone on board B from before the first pull. */
  oldTombstone: Incident;
}

describe('incremental sync of incidents', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  async function run<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const result = await app.execute<T>(app.identities.full.secret, query, variables);
    expect(result.errors).toBeUndefined();
    if (!result.data) {
      throw new Error('no data');
    }
    return result.data;
  }

  /** A reporting system's pull with a READ_ONLY token over HTTP: every page to the end. */
  async function pull(
    from: { after?: string | null; updatedAfter?: string },
    first = 40,
  ): Promise<{ nodes: SyncedIncident[]; endCursor: string | null }> {
    const client = app.asReadOnly();
    const nodes: SyncedIncident[] = [];
    let after = from.after ?? null;
    let endCursor: string | null = null;
    for (let pages = 0; pages < 1000; pages++) {
      const data = await client.data<{ incidents: PageJson }>(SYNC, {
        after,
        first,
        ...(from.updatedAfter === undefined ? {} : { updatedAfter: from.updatedAfter }),
      });
      const page = data.incidents;
      nodes.push(...page.nodes);
      endCursor = page.pageInfo.endCursor ?? endCursor;
      if (!page.pageInfo.hasNextPage) {
        return { nodes, endCursor };
      }
      expect(page.nodes).toHaveLength(first);
      after = page.pageInfo.endCursor;
    }
    throw new Error('the sync did not end');
  }

  function expectSyncOrder(nodes: SyncedIncident[]): void {
    for (let i = 1; i < nodes.length; i++) {
      const [a, b] = [nodes[i - 1], nodes[i]];
      const diff = Date.parse(b.updatedAt) - Date.parse(a.updatedAt);
      expect(diff > 0 || (diff === 0 && b.id > a.id)).toBe(true);
    }
  }

  /**
   * Two boards with monitors and 230 incidents inserted with past timestamps (many tied), some
   * listing monitors, a few tombstones; plus a few incidents created through the API.
   */
  async function seed(): Promise<Fixture> {
    const org = app.organization.id;
    const boardOf = (name: string) => boardRow(org, name, PAST);
    const [boardA, boardB] = [boardOf('A'), boardOf('B')];
    await app.services.db.write((m) => m.insert(Board, [boardA, boardB]));
    const monitorOf = (boardId: string, displayName: string) =>
      monitorRow(org, boardId, displayName, PAST);
    const doomed = monitorOf(boardA.id, 'doomed');
    const onB = monitorOf(boardB.id, 'on B');
    const kept = monitorOf(boardA.id, 'kept');
    await app.services.db.write((m) => m.insert(Monitor, [doomed, onB, kept]));

    const incidentOf = (boardId: string, i: number, deletedAt: Date | null = null) =>
      incidentRow(org, boardId, i, PAST, {
        severity: IncidentSeverity.MAJOR,
        phase: IncidentPhase.INVESTIGATING,
        // 150 share one updatedAt; the rest are spread a few milliseconds apart.
        updatedAt: new Date(PAST.getTime() + (i < 150 ? 0 : i % 17)),
        deletedAt,
      });
    const a = Array.from({ length: 180 }, (_, i) => incidentOf(boardA.id, i));
    const b = Array.from({ length: 45 }, (_, i) => incidentOf(boardB.id, 1000 + i));
    const tombstones = [
      incidentOf(boardA.id, 2000, PAST),
      incidentOf(boardA.id, 2001, PAST),
      incidentOf(boardB.id, 2002, PAST),
    ];
    await insertRows(app.services, Incident, [...a, ...b, ...tombstones]);
    await app.services.db.write((m) =>
      m.insert(IncidentMonitor, [
        // a[5], a[6] list the monitor that will be deleted, a[7] the one on board B, a[8] both
        // kept and doomed; a[9] lists only the kept one.
        { incidentId: a[5].id, monitorId: doomed.id },
        { incidentId: a[6].id, monitorId: doomed.id },
        { incidentId: a[7].id, monitorId: onB.id },
        { incidentId: a[8].id, monitorId: doomed.id },
        { incidentId: a[8].id, monitorId: kept.id },
        { incidentId: a[9].id, monitorId: kept.id },
        { incidentId: b[0].id, monitorId: onB.id },
      ]),
    );
    // A few created through the API before the first pull, at "now".
    for (const name of ['api one', 'api two', 'api three']) {
      await run(
        `mutation($boardId: ID!, $name: String!) {
          createIncident(input: { boardId: $boardId, name: $name, severity: MINOR }) { id }
        }`,
        { boardId: boardA.id, name },
      );
    }
    return {
      boardA: boardA.id,
      boardB: boardB.id,
      monitorDoomed: doomed.id,
      monitorOnB: onB.id,
      monitorKept: kept.id,
      a,
      b,
      oldTombstone: tombstones[2],
    };
  }

  it('after the last endCursor (or updatedAfter) a pull returns exactly what changed, each once', async () => {
    const f = await seed();
    const first = await pull({});
    // 225 live + 3 tombstones inserted + 3 created through the API.
    expect(first.nodes).toHaveLength(231);
    expect(new Set(first.nodes.map((n) => n.id)).size).toBe(231);
    expectSyncOrder(first.nodes);
    const cursor = first.endCursor;
    const lastUpdatedAt = first.nodes.at(-1)?.updatedAt;
    expect(cursor).toEqual(expect.any(String));
    expect(lastUpdatedAt).toEqual(expect.any(String));

    // Nothing changed yet: nothing new.
    expect((await pull({ after: cursor })).nodes).toEqual([]);

    const [updated, withUpdate, resolved, deleted] = f.a;
    await run(`mutation($id: ID!) { updateIncident(id: $id, input: { name: "renamed" }) { id } }`, {
      id: updated.id,
    });
    await run(
      `mutation($id: ID!) {
        addIncidentUpdate(incidentId: $id, input: { phase: IDENTIFIED, message: "found it" }) { id }
      }`,
      { id: withUpdate.id },
    );
    await run(`mutation($id: ID!) { resolveIncident(id: $id, message: "fixed") { id } }`, {
      id: resolved.id,
    });
    await run(`mutation($id: ID!) { deleteIncident(id: $id) }`, { id: deleted.id });
    const created = await run<{ createIncident: { id: string } }>(
      `mutation($boardId: ID!, $monitorIds: [ID!]) {
        createIncident(input: { boardId: $boardId, name: "new", severity: MAJOR, monitorIds: $monitorIds }) { id }
      }`,
      { boardId: f.boardA, monitorIds: [f.monitorKept] },
    );
    await run(`mutation($id: ID!) { deleteMonitor(id: $id) }`, { id: f.monitorDoomed });
    await run(`mutation($id: ID!) { deleteBoard(id: $id) }`, { id: f.boardB });
    // Changes that are not changes of an incident, and refused changes, move nothing.
    await run(`mutation($id: ID!) { updateBoard(id: $id, input: { name: "A2" }) { id } }`, {
      id: f.boardA,
    });
    const refused = await app.execute(
      app.identities.readOnly.secret,
      `mutation($id: ID!) { updateIncident(id: $id, input: { name: "nope" }) { id } }`,
      { id: f.a[20].id },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const gone = await app.execute(
      app.identities.full.secret,
      `mutation($id: ID!) { updateIncident(id: $id, input: { name: "tombstone" }) { id } }`,
      { id: deleted.id },
    );
    expect(gone.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const expected = new Map<string, { deleted: boolean }>([
      [updated.id, { deleted: false }],
      [withUpdate.id, { deleted: false }],
      [resolved.id, { deleted: false }],
      [deleted.id, { deleted: true }],
      [created.createIncident.id, { deleted: false }],
      // They listed the deleted monitor (a[8] listed a kept one too).
      [f.a[5].id, { deleted: false }],
      [f.a[6].id, { deleted: false }],
      [f.a[8].id, { deleted: false }],
      // It listed the monitor of the deleted board.
      [f.a[7].id, { deleted: false }],
      // Every live incident of the deleted board, now a tombstone.
      ...f.b.map((row): [string, { deleted: boolean }] => [row.id, { deleted: true }]),
    ]);

    const check = (nodes: SyncedIncident[]) => {
      expect(nodes.map((n) => n.id).sort()).toEqual([...expected.keys()].sort());
      expectSyncOrder(nodes);
      for (const node of nodes) {
        expect(node.deletedAt !== null).toBe(expected.get(node.id)?.deleted);
        expect(Date.parse(node.updatedAt)).toBeGreaterThan(Date.parse(lastUpdatedAt ?? ''));
      }
      const byId = new Map(nodes.map((n) => [n.id, n]));
      expect(byId.get(updated.id)?.name).toBe('renamed');
      expect(byId.get(withUpdate.id)?.phase).toBe('IDENTIFIED');
      expect(byId.get(resolved.id)?.phase).toBe('RESOLVED');
      expect(byId.get(resolved.id)?.resolvedAt).toEqual(expect.any(String));
      // The old tombstone of board B did not move, nor did an untouched incident.
      expect(byId.has(f.oldTombstone.id)).toBe(false);
      expect(byId.has(f.a[9].id)).toBe(false);
    };

    const second = await pull({ after: cursor }, 7);
    check(second.nodes);
    const sinceTime = await pull({ updatedAfter: lastUpdatedAt }, 7);
    check(sinceTime.nodes);
    expect(sinceTime.nodes).toEqual(second.nodes);

    // A pull right after the second one returns nothing new, from either starting point.
    expect(second.endCursor).toEqual(expect.any(String));
    expect((await pull({ after: second.endCursor })).nodes).toEqual([]);
    expect((await pull({ updatedAfter: second.nodes.at(-1)?.updatedAt ?? '' })).nodes).toEqual([]);

    // The whole list still holds every incident exactly once, deletions included.
    const everything = await pull({}, 1000);
    expect(new Set(everything.nodes.map((n) => n.id)).size).toBe(232);
    expect(everything.nodes).toHaveLength(232);
  });

  it('updatedAfter is exclusive', async () => {
    const f = await seed();
    const all = (await pull({}, 1000)).nodes;
    // Every incident whose updatedAt is exactly the shared instant is left out.
    const shared = PAST.toISOString();
    const after = await pull({ updatedAfter: shared }, 1000);
    const expected = all.filter((n) => Date.parse(n.updatedAt) > PAST.getTime());
    expect(after.nodes.map((n) => n.id)).toEqual(expected.map((n) => n.id));
    expect(all.length - expected.length).toBeGreaterThanOrEqual(150);
    expect(after.nodes.some((n) => n.id === f.a[0].id)).toBe(false);
  });

  it('50 concurrent updates all appear after the cursor, none lost, even with pulls in between', async () => {
    const f = await seed();
    const first = await pull({}, 1000);
    let cursor = first.endCursor;
    const targets = f.a.slice(100, 150);
    const seen: SyncedIncident[] = [];

    // A sync that keeps pulling while the updates commit, continuing from its last cursor.
    let writing = true;
    const syncing = (async () => {
      while (writing) {
        const got = await pull({ after: cursor }, 10);
        seen.push(...got.nodes);
        cursor = got.endCursor ?? cursor;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const results = await Promise.all(
      targets.map((row, i) =>
        app.execute<{ updateIncident: { id: string; updatedAt: string } }>(
          app.identities.full.secret,
          `mutation($id: ID!, $name: String!) {
            updateIncident(id: $id, input: { name: $name }) { id updatedAt }
          }`,
          { id: row.id, name: `concurrent ${i}` },
        ),
      ),
    );
    writing = false;
    await syncing;
    // What committed after the sync's last pull; then the cursor stands after everything.
    const last = await pull({ after: cursor }, 10);
    seen.push(...last.nodes);
    cursor = last.endCursor ?? cursor;

    for (const result of results) {
      expect(result.errors).toBeUndefined();
    }
    const stamps = results.map((r) => r.data?.updateIncident.updatedAt ?? '');
    // updatedAt is strictly increasing inside one process: 50 distinct instants.
    expect(new Set(stamps).size).toBe(50);
    expect(seen.map((n) => n.id).sort()).toEqual(targets.map((t) => t.id).sort());
    expectSyncOrder(seen);
    for (const node of seen) {
      expect(node.name).toMatch(/^concurrent \d+$/);
    }
    expect((await pull({ after: cursor })).nodes).toEqual([]);
  });

  it('many changes to one incident in quick succession: it comes once, in its latest state', async () => {
    const f = await seed();
    const first = await pull({}, 1000);
    const target = f.a[42];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.execute<{ updateIncident: { updatedAt: string } }>(
          app.identities.full.secret,
          `mutation($id: ID!, $name: String!) {
            updateIncident(id: $id, input: { name: $name }) { updatedAt }
          }`,
          { id: target.id, name: `version ${i}` },
        ),
      ),
    );
    const stamps = results.map((r) => Date.parse(r.data?.updateIncident.updatedAt ?? ''));
    expect(new Set(stamps).size).toBe(50);
    const latest = results[stamps.indexOf(Math.max(...stamps))];
    const next = await pull({ after: first.endCursor });
    expect(next.nodes).toHaveLength(1);
    expect(next.nodes[0]?.id).toBe(target.id);
    expect(next.nodes[0]?.updatedAt).toBe(latest.data?.updateIncident.updatedAt);
    const stored = await app.services.db.reader.findOneByOrFail(Incident, { id: target.id });
    expect(next.nodes[0]?.name).toBe(stored.name);
  });
});
