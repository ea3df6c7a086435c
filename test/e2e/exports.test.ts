import { TokenPermission } from '../../src/tokens/token-permission';
import {
  INCIDENT_SELECTION,
  MONITOR_SELECTION,
  STATUS_EVENT_SELECTION,
  asExportRow,
  expectedCell,
  getExport,
  parseCsv,
  parseNdjson,
  pullAll,
} from '../helpers/exports';
import { rawHttp } from '../helpers/http-client';
import { type BoardData, scopedToken, seedBoard } from '../helpers/scope-fixture';
import { insertStatusFixture } from '../helpers/status-fixture';
import { capturedLogLines, type Identity, requestLogLine, TestApp } from '../helpers/test-app';

/**
 * API.md section 12 over real HTTP: each export is the GraphQL list it stands for — the same
 * rows, field by field with links as ids, in the list's keyset order, once each across page
 * boundaries (more rows than one page) — in NDJSON and RFC 4180 CSV, with the list's filters,
 * the token's board scope, never Monitor.requestHeaders, and refusals as JSON before any row.
 * The data is only read here, so one server serves every test of the file.
 */
describe('exports', () => {
  let app: TestApp;
  let boards: BoardData[];
  let scoped: Identity;
  const TRICKY = {
    name: '=HYPERLINK("http://evil","click")',
    details: 'Line one, with a comma\r\nLine "two"\nÜnïcødé ✓ 😀',
  };

  beforeAll(async () => {
    app = await TestApp.start();
    // 1200 monitors, 1200 status events and 1100 incidents: more than one 1000-row page each.
    await insertStatusFixture(app, {
      boards: 3,
      monitorsPerBoard: 400,
      eventsPerMonitor: 1,
      incidents: 1100,
      updatesPerIncident: 0,
    });
    const checkout = await seedBoard(app, 'Checkout');
    // Search's incidents also name a Checkout monitor, which a Search-scoped token must not see.
    boards = [checkout, await seedBoard(app, 'Search', [checkout.customId])];
    const tricky = [
      TRICKY,
      { name: '+1 caller', details: '-2 or @home' },
      { name: '@ops', details: null },
    ];
    for (const input of tricky) {
      await app.data(
        'mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }',
        { input: { boardId: boards[0].boardId, severity: 'MAINTENANCE', ...input } },
      );
    }
    scoped = await scopedToken(app, 'scoped', TokenPermission.READ_ONLY, [boards[1].boardId]);
  });
  afterAll(() => app.close());

  const LISTS = [
    ['incidents', 'incidents', INCIDENT_SELECTION],
    ['monitors', 'monitors', MONITOR_SELECTION],
    ['status-events', 'statusEvents', STATUS_EVENT_SELECTION],
  ] as const;

  describe.each(LISTS)('%s', (file, field, selection) => {
    it('NDJSON equals the GraphQL pull, field by field, in its order, every row once', async () => {
      const pulled = (
        await pullAll<Record<string, unknown>>(app, app.identities.full.secret, field, selection)
      ).map(asExportRow);
      const response = await getExport(app, `${file}.ndjson`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/x-ndjson');
      const rows = parseNdjson(response.text);
      expect(pulled.length).toBeGreaterThan(1000);
      expect(rows).toEqual(pulled);
      expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    });

    it('CSV has a header row and the pull’s cells, RFC 4180 quoted', async () => {
      const pulled = (
        await pullAll<Record<string, unknown>>(app, app.identities.full.secret, field, selection)
      ).map(asExportRow);
      const response = await getExport(app, `${file}.csv`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const [header, ...rows] = parseCsv(response.text);
      expect(rows).toEqual(pulled.map((row) => header.map((column) => expectedCell(row[column]))));
      expect(header.sort()).toEqual(Object.keys(pulled[0]).sort());
    });
  });

  it('CSV keeps commas, quotes, line breaks and unicode, defuses formulas, leaves nulls empty', async () => {
    const { text } = await getExport(
      app,
      `incidents.csv?boardId=${boards[0].boardId}&severity=MAINTENANCE`,
    );
    const [header, ...rows] = parseCsv(text);
    const cell = (row: string[], column: string) => row[header.indexOf(column)];
    const byName = new Map(rows.map((row) => [cell(row, 'name'), row]));
    const tricky = byName.get(`'${TRICKY.name}`) ?? [];
    expect(cell(tricky, 'details')).toBe(TRICKY.details);
    expect(text).toContain(`"'=HYPERLINK(""http://evil"",""click"")"`);
    expect(cell(byName.get("'+1 caller") ?? [], 'details')).toBe("'-2 or @home");
    expect(cell(byName.get("'@ops") ?? [], 'details')).toBe('');
    expect(cell(tricky, 'resolvedAt')).toBe('');
    expect(cell(tricky, 'monitorIds')).toBe('');
    const outage = parseCsv(
      (await getExport(app, `incidents.csv?boardId=${boards[1].boardId}`)).text,
    );
    const ids = outage[1][outage[0].indexOf('monitorIds')].split(' ');
    expect(ids.sort()).toEqual(
      [boards[0].customId, boards[1].customId, boards[1].websiteId].sort(),
    );
  });

  it('NDJSON writes null as null and id lists as arrays', async () => {
    const [row] = parseNdjson(
      (await getExport(app, `incidents.ndjson?boardId=${boards[1].boardId}`)).text,
    );
    expect(row.resolvedAt).toBeNull();
    expect(row.details).toBeNull();
    expect(Array.isArray(row.monitorIds)).toBe(true);
  });

  const later = '2026-02-01T00:00:00.500Z';
  // Four elements a row: with fewer, Jest would pass its `done` callback as the order.
  const FILTERS: [string, string, Record<string, unknown>, string | undefined][] = [
    ['incidents', 'boardId=B', { boardId: 'B' }, undefined],
    ['incidents', 'monitorId=M', { monitorId: 'M' }, undefined],
    ['incidents', 'phase=SCHEDULED', { phase: 'SCHEDULED' }, undefined],
    ['incidents', 'severity=MAJOR', { severity: 'MAJOR' }, undefined],
    ['incidents', `startedAfter=${later}`, { startedAfter: later }, undefined],
    ['incidents', `startedBefore=${later}`, { startedBefore: later }, undefined],
    ['incidents', `updatedAfter=${later}`, { updatedAfter: later }, undefined],
    ['incidents', 'includeDeleted=true', { includeDeleted: true }, undefined],
    ['incidents', 'includeDeleted=false', { includeDeleted: false }, undefined],
    ['incidents', 'orderBy=STARTED_AT_ASC', {}, 'STARTED_AT_ASC'],
    [
      'incidents',
      'orderBy=UPDATED_AT_ASC&includeDeleted=true',
      { includeDeleted: true },
      'UPDATED_AT_ASC',
    ],
    ['monitors', 'boardId=B', { boardId: 'B' }, undefined],
    ['monitors', 'monitorType=WEBSITE', { monitorType: 'WEBSITE' }, undefined],
    ['monitors', 'status=DOWN', { status: 'DOWN' }, undefined],
    ['status-events', 'monitorId=M', { monitorId: 'M' }, undefined],
    ['status-events', 'status=DOWN', { status: 'DOWN' }, undefined],
    ['status-events', `recordedAfter=${later}`, { recordedAfter: later }, undefined],
    ['status-events', `recordedBefore=${later}`, { recordedBefore: later }, undefined],
  ];

  it.each(FILTERS)(
    '%s?%s exports what the GraphQL list returns with that filter',
    async (file, query, filter, orderBy) => {
      const ids = { B: boards[0].boardId, M: boards[0].customId };
      const fill = (text: string) =>
        text.replace(/=([BM])$/, (_, key: 'B' | 'M') => `=${ids[key]}`);
      const resolved = Object.fromEntries(
        Object.entries(filter).map(([k, v]) => [k, v === 'B' || v === 'M' ? ids[v] : v]),
      );
      const [, field, selection] = LISTS.find(([name]) => name === file) ?? LISTS[0];
      const pulled = (
        await pullAll<Record<string, unknown>>(app, app.identities.full.secret, field, selection, {
          filter: resolved,
          orderBy,
        })
      ).map(asExportRow);
      const rows = parseNdjson((await getExport(app, `${file}.ndjson?${fill(query)}`)).text);
      expect(rows).toEqual(pulled);
      expect(rows.length).toBeGreaterThan(0);
    },
  );

  it('a board-scoped token exports only its boards', async () => {
    const inScope = boards[1].boardId;
    for (const [file, field, selection] of LISTS) {
      const pulled = (
        await pullAll<Record<string, unknown>>(app, scoped.secret, field, selection)
      ).map(asExportRow);
      const rows = parseNdjson((await getExport(app, `${file}.ndjson`, scoped.secret)).text);
      expect(rows).toEqual(pulled);
      expect(rows.length).toBeGreaterThan(0);
    }
    const monitors = parseNdjson((await getExport(app, 'monitors.ndjson', scoped.secret)).text);
    expect(new Set(monitors.map((m) => m.boardId))).toEqual(new Set([inScope]));
    // A filter naming an out-of-scope board matches nothing.
    const outside = await getExport(
      app,
      `incidents.ndjson?boardId=${boards[0].boardId}`,
      scoped.secret,
    );
    expect(outside.status).toBe(200);
    expect(outside.text).toBe('');
    // An incident's monitorIds name only monitors in scope; the full-access export names all.
    const [incident] = parseNdjson((await getExport(app, 'incidents.ndjson', scoped.secret)).text);
    expect(incident.monitorIds).not.toContain(boards[0].customId);
    expect((incident.monitorIds as string[]).sort()).toEqual(
      [boards[1].customId, boards[1].websiteId].sort(),
    );
    const [full] = parseNdjson((await getExport(app, `incidents.ndjson?boardId=${inScope}`)).text);
    expect(full.monitorIds).toContain(boards[0].customId);
  });

  it('never exports requestHeaders, even to a full-access token', async () => {
    for (const format of ['ndjson', 'csv']) {
      const { text } = await getExport(app, `monitors.${format}?monitorType=WEBSITE`);
      expect(text).not.toMatch(/requestHeaders|Bearer Checkout|Authorization/i);
      expect(text).toContain(boards[0].websiteId);
    }
  });

  it.each([
    ['incidents.ndjson?severity=HUGE', 'severity must be one of'],
    ['incidents.csv?first=10', 'does not know'],
    ['monitors.ndjson?status=', 'status must be one of'],
    ['status-events.csv?recordedAfter=yesterday', 'recordedAfter must be an ISO 8601'],
    ['incidents.ndjson?includeDeleted=1', 'includeDeleted must be true or false'],
  ])('%s is 400 BAD_USER_INPUT as JSON, before any row', async (file, message) => {
    const response = await getExport(app, file);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(response.text) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toContain(message);
  });

  it('refuses a token in the URL instead of using it', async () => {
    const secret = app.identities.full.secret;
    const withoutHeader = await getExport(app, `incidents.ndjson?access_token=${secret}`, null);
    expect(withoutHeader.status).toBe(401);
    expect(withoutHeader.headers.get('www-authenticate')).toBe('Bearer');
    expect(withoutHeader.text).not.toContain(secret);
    // Found by a new user: "No API token was sent", though one was, in the wrong place.
    const refusal = JSON.parse(withoutHeader.text) as {
      errors: { message: string; extensions: { code: string; reason: string } }[];
    };
    expect(refusal.errors[0].extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'MISSING',
    });
    expect(refusal.errors[0].message).toMatch(/never taken from the URL \(access_token\)/);
    expect(refusal.errors[0].message).toMatch(/revoke/);
    const withHeader = await getExport(app, `incidents.ndjson?access_token=${secret}`);
    expect(withHeader.status).toBe(400);
    expect(withHeader.text).toContain('Authorization header');
    expect(withHeader.text).not.toContain(secret);
  });

  // Found by a hostile probe: a request target in absolute form (`GET http://host/export/…`, as a
  // proxy sends) with a host the URL parser refuses threw after authentication: a 500, and the
  // error's log line held the whole URL, a secret in its query string included.
  it('reads the parameters of an absolute-form request target whatever its host', async () => {
    const secret = app.identities.readOnly.secret;
    const since = capturedLogLines.length;
    const answer = await rawHttp(
      app.url,
      `GET http://[zz]/export/incidents.ndjson?access_token=${secret} HTTP/1.1\r\n` +
        `Host: ${new URL(app.url).hostname}\r\n` +
        `Authorization: Bearer ${app.identities.full.secret}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('Authorization header');
    expect(answer).not.toContain(secret);
    const requestId = /x-request-id: (\S+)/i.exec(answer)?.[1] ?? null;
    await requestLogLine(since, requestId);
    expect(capturedLogLines.slice(since).join('\n')).not.toContain(secret);
  });

  it('authenticates as /graphql does: 401 with a reason for a missing, revoked or expired token', async () => {
    for (const [secret, reason] of [
      [null, 'MISSING'],
      [app.identities.revoked.secret, 'REVOKED'],
      [app.identities.expired.secret, 'EXPIRED'],
      ['sgp_typo', 'MALFORMED'],
    ] as const) {
      const response = await getExport(app, 'incidents.csv', secret);
      expect(response.status).toBe(401);
      const body = JSON.parse(response.text) as {
        errors: { extensions: { code: string; reason: string } }[];
      };
      expect(body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason });
    }
  });

  it('HEAD answers the headers of the export without a body', async () => {
    const response = await fetch(`${app.url}/export/incidents.csv`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${app.identities.full.secret}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  });

  it('an unknown export is 404 NOT_FOUND, naming the exports there are', async () => {
    const response = await getExport(app, 'boards.ndjson');
    expect(response.status).toBe(404);
    const [error] = (
      JSON.parse(response.text) as { errors: { message: string; extensions: { code: string } }[] }
    ).errors;
    expect(error.extensions.code).toBe('NOT_FOUND');
    expect(error.message).toBe(
      'No such export; the exports are /export/incidents.ndjson and .csv, /export/monitors.ndjson and .csv, /export/status-events.ndjson and .csv.',
    );
  });

  // Found by a new user: a POST got 404 "Nothing here: the API is at /graphql."
  it('another method than GET on an export is 405 with Allow, and reads nothing', async () => {
    const response = await fetch(`${app.url}/export/incidents.ndjson`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.identities.full.secret}` },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    // An unknown export is the same 404 whatever the method (found by a hostile client).
    const unknown = await fetch(`${app.url}/export/boards.csv`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${app.identities.full.secret}` },
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { errors: { message: string }[] }).errors[0].message).toMatch(
      /^No such export; the exports are /,
    );
  });
});
