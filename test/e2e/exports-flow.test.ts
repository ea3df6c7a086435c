import type { Timer } from '../../src/core/clock';
import { ManualClock } from '../helpers/clock';
import { parseNdjson } from '../helpers/exports';
import { metricSamples } from '../helpers/metrics';
import { insertStatusFixture } from '../helpers/status-fixture';
import { TestApp } from '../helpers/test-app';
import { until } from '../helpers/wait';

/**
 * How an export streams (API.md section 12), by order of events, never by timing: a dry budget
 * slows it (it waits for the refill on a timer the test fires, then completes), a token runs at
 * most two at once, an error after the first row cuts the connection so the client sees a
 * failure, and a client that leaves stops the reading. The budget holds one page and a half, so
 * every export waits for the refill after its first page.
 */
describe('an export’s flow', () => {
  let app: TestApp;
  let clock: ManualClock;
  let waits: { ms: number; fire: () => void }[];
  const timer: Timer = (ms, fire) => {
    const wait = { ms, fire };
    waits.push(wait);
    return () => {
      const index = waits.indexOf(wait);
      if (index >= 0) {
        waits.splice(index, 1);
      }
    };
  };
  const ROWS = 1500;
  const RESTORE_RATE = 100;
  /** Every page pays a request's base, as the GraphQL page it replaces would. */
  const BASE = 100;
  /** A page of 1000 incidents: the base, its two statements and its rows. */
  const PAGE_COST = BASE + 2 + 1000;

  beforeEach(async () => {
    waits = [];
    clock = new ManualClock();
    app = await TestApp.start({
      clock,
      timer,
      limits: {
        costBucketSize: 1500,
        costRestoreRate: RESTORE_RATE,
        costPerRequest: BASE,
        authFailuresPerMinute: 1_000_000,
      },
    });
    await insertStatusFixture(app, {
      boards: 1,
      monitorsPerBoard: 1,
      eventsPerMonitor: 0,
      incidents: ROWS,
      updatesPerIncident: 0,
    });
  });
  afterEach(() => app.close());

  /** An export as a client starts it: resolved once the first page's headers arrived. */
  async function start(file = 'incidents.ndjson', signal?: AbortSignal): Promise<Response> {
    const response = await fetch(`${app.url}/export/${file}`, {
      headers: { authorization: `Bearer ${app.identities.full.secret}` },
      signal,
    });
    expect(response.status).toBe(200);
    return response;
  }

  /** Fires the pending waits once the clock has moved far enough to refill the whole bucket. */
  function refill(): void {
    clock.advance(3_600_000);
    waits.splice(0).forEach((wait) => wait.fire());
  }

  async function exportsEnded(outcome: string): Promise<number> {
    const samples = await metricSamples(app.url, 'statusgraph_exports_total');
    return samples.get(`{list="incidents",format="ndjson",outcome="${outcome}"}`) ?? 0;
  }

  it('a dry budget slows the stream to the restore rate, then it completes', async () => {
    const response = await start();
    await until(() => waits.length > 0, 'the export to wait for its budget');
    // It waits as long as the refill of what the next page lacks takes at the restore rate.
    const available = await app.services.costBudget.available(app.identities.full.token.id);
    expect(waits[0].ms).toBe(
      Math.ceil(((PAGE_COST - Math.floor(available)) / RESTORE_RATE) * 1000),
    );
    refill();
    const rows = parseNdjson(await response.text());
    expect(rows).toHaveLength(ROWS);
    expect(new Set(rows.map((row) => row.id)).size).toBe(ROWS);
    expect(await exportsEnded('complete')).toBe(1);
  });

  it('charges each page the base of a request, as the GraphQL page it replaces', async () => {
    const tokenId = app.identities.full.token.id;
    const before = await app.services.costBudget.available(tokenId);
    const empty = await fetch(`${app.url}/export/monitors.ndjson?boardId=none`, {
      headers: { authorization: `Bearer ${app.identities.full.secret}` },
    });
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    // The clock stands still: nothing refills. One page: its base and its one statement.
    expect(before - (await app.services.costBudget.available(tokenId))).toBe(BASE + 1);
  });

  it('a third export of one token at once is 429 RATE_LIMITED; another token’s is not', async () => {
    const controller = new AbortController();
    // Both run: the first waits for its second page's budget, the second for its first page's.
    const running = [1, 2].map(() =>
      start('incidents.ndjson', controller.signal).then((response) => response.text()),
    );
    await until(() => waits.length === 2, 'both exports to wait for the budget');
    const third = await fetch(`${app.url}/export/monitors.csv`, {
      headers: { authorization: `Bearer ${app.identities.full.secret}` },
    });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('1');
    // As every 429 of the API: the code, and the seconds to wait in the body as in the header.
    expect(
      ((await third.json()) as { errors: { extensions: Record<string, unknown> }[] }).errors[0]
        .extensions,
    ).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    const other = await fetch(`${app.url}/export/monitors.csv`, {
      headers: { authorization: `Bearer ${app.identities.readOnly.secret}` },
    });
    expect(other.status).toBe(200);
    await other.text();
    controller.abort();
    await Promise.allSettled(running);
    await until(async () => (await exportsEnded('client_gone')) === 2, 'both exports to end');
    // Their slots are given back.
    refill();
    const again = await start('monitors.ndjson');
    await again.text();
  });

  it('an error after the first row cuts the connection: the client sees a failure, not an end', async () => {
    const response = await start();
    await until(() => waits.length > 0, 'the export to wait for its budget');
    // The server is busy with others' pages until the next page's turn times out (QUERY_TIMEOUT).
    // Every slot of the expensive lane, where a 1000-row page runs, taken by another token.
    const { slots, expensiveSlots = slots } = app.services.scheduler.settings;
    const busy = await Promise.all(
      Array.from({ length: expensiveSlots }, () =>
        app.services.scheduler.start('someone else', 1e9),
      ),
    );
    refill();
    await until(() => waits.length > 0, 'the next page to wait for its turn');
    waits.splice(0).forEach((wait) => wait.fire());
    await expect(response.text()).rejects.toThrow();
    expect(await exportsEnded('cut')).toBe(1);
    expect(await exportsEnded('complete')).toBe(0);
    busy.forEach((end) => end());
  });

  it('a token revoked while its export runs gets no further page: the connection is cut', async () => {
    const response = await fetch(`${app.url}/export/incidents.ndjson`, {
      headers: { authorization: `Bearer ${app.identities.readOnly.secret}` },
    });
    expect(response.status).toBe(200);
    await until(() => waits.length > 0, 'the export to wait for its budget');
    await app.data('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', {
      id: app.identities.readOnly.token.id,
    });
    refill();
    await expect(response.text()).rejects.toThrow();
    expect(await exportsEnded('cut')).toBe(1);
    const rows = await metricSamples(app.url, 'statusgraph_export_rows_total');
    expect(rows.get('{list="incidents",format="ndjson"}')).toBe(1000);
  });

  it('an export whose first page cannot start in time is 503 QUERY_TIMEOUT as JSON', async () => {
    // Every slot of the expensive lane, where a 1000-row page runs, taken by another token.
    const { slots, expensiveSlots = slots } = app.services.scheduler.settings;
    const busy = await Promise.all(
      Array.from({ length: expensiveSlots }, () =>
        app.services.scheduler.start('someone else', 1e9),
      ),
    );
    const response = fetch(`${app.url}/export/incidents.csv`, {
      headers: { authorization: `Bearer ${app.identities.full.secret}` },
    });
    await until(() => waits.length > 0, 'the first page to wait for its turn');
    waits.splice(0).forEach((wait) => wait.fire());
    const refused = await response;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    const body = (await refused.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('QUERY_TIMEOUT');
    busy.forEach((end) => end());
  });

  it('a client that goes away stops the reading', async () => {
    const controller = new AbortController();
    const response = await start('incidents.ndjson', controller.signal);
    await until(() => waits.length > 0, 'the export to wait for its budget');
    controller.abort();
    await expect(response.text()).rejects.toThrow();
    await until(async () => (await exportsEnded('client_gone')) === 1, 'the export to end');
    refill();
    const rows = await metricSamples(app.url, 'statusgraph_export_rows_total');
    // Only the first page was read: the second was never asked for.
    expect(rows.get('{list="incidents",format="ndjson"}')).toBe(1000);
    expect(waits).toHaveLength(0);
  });
});
