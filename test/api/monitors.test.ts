import { AuditEvent, AuditOutcome } from '../../src/audit/audit-event.entity';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { Monitor } from '../../src/monitors/monitor.entity';
import { StatusEvent } from '../../src/monitors/status-event.entity';
import { TestApp } from '../helpers/test-app';

type Result = Awaited<ReturnType<TestApp['execute']>>;
type Vars = Record<string, unknown>;

interface Header {
  name: string;
  value: string;
}

interface MonitorData {
  id: string;
  displayName: string;
  monitorType: string;
  status: string;
  paused: boolean;
  url: string | null;
  host: string | null;
  serviceName: string | null;
  checkIntervalMinutes: number;
  requestHeaders: Header[] | null;
  lastCheckedAt: string | null;
  createdAt: string;
  updatedAt: string;
  board: { id: string };
}

interface EventData {
  id: string;
  status: string;
  previousStatus: string;
  message: string | null;
  recordedAt: string;
  monitor: { id: string };
}

const MONITOR_FIELDS = `id displayName monitorType status paused url host serviceName
  checkIntervalMinutes requestHeaders { name value } lastCheckedAt createdAt updatedAt board { id }`;
const EVENT_FIELDS = 'id status previousStatus message recordedAt monitor { id }';

const CREATE_MONITOR = `mutation($input: CreateMonitorInput!) {
  createMonitor(input: $input) { ${MONITOR_FIELDS} }
}`;
const UPDATE_MONITOR = `mutation($id: ID!, $input: UpdateMonitorInput!) {
  updateMonitor(id: $id, input: $input) { ${MONITOR_FIELDS} }
}`;
const SET_STATUS = `mutation($id: ID!, $status: MonitorStatus!, $message: String) {
  setMonitorStatus(id: $id, status: $status, message: $message) { ${MONITOR_FIELDS} }
}`;
const STATUS_EVENTS = `query($filter: StatusEventFilter) {
  statusEvents(filter: $filter, first: 1000) { totalCount nodes { ${EVENT_FIELDS} } }
}`;

async function createBoard(app: TestApp, name = 'Production'): Promise<string> {
  const result = await app.data<{ createBoard: { id: string } }>(
    'mutation($name: String!) { createBoard(input: { name: $name }) { id } }',
    { name },
  );
  return result.createBoard.id;
}

async function createMonitor(
  app: TestApp,
  boardId: string,
  input: Vars = {},
): Promise<MonitorData> {
  const result = await app.data<{ createMonitor: MonitorData }>(CREATE_MONITOR, {
    input: { boardId, displayName: 'Checkout API', monitorType: 'CUSTOM', ...input },
  });
  return result.createMonitor;
}

async function setStatus(
  app: TestApp,
  id: string,
  status: string,
  message?: string,
): Promise<MonitorData> {
  const result = await app.data<{ setMonitorStatus: MonitorData }>(SET_STATUS, {
    id,
    status,
    message,
  });
  return result.setMonitorStatus;
}

async function statusEvents(app: TestApp, filter?: Vars): Promise<EventData[]> {
  const result = await app.data<{ statusEvents: { totalCount: number; nodes: EventData[] } }>(
    STATUS_EVENTS,
    { filter },
  );
  expect(result.statusEvents.totalCount).toBe(result.statusEvents.nodes.length);
  return result.statusEvents.nodes;
}

async function createIncident(
  app: TestApp,
  input: Vars,
): Promise<{ id: string; updatedAt: string }> {
  const result = await app.data<{ createIncident: { id: string; updatedAt: string } }>(
    'mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id updatedAt } }',
    { input: { name: 'Outage', severity: 'MAJOR', ...input } },
  );
  return result.createIncident;
}

/** A validation error: BAD_USER_INPUT naming the field and the rule, and never the value. */
function expectInputError(result: Result, field: string, rule: RegExp, secret?: string): void {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  const [error] = result.errors ?? [];
  expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  expect(error.extensions?.field).toBe(field);
  expect(error.message).toContain(field);
  expect(error.message).toMatch(rule);
  if (secret !== undefined) {
    expect(JSON.stringify(result)).not.toContain(secret);
  }
}

function expectNotFound(result: Result): void {
  expect(result.data ?? null).toBeNull();
  expect(result.errors).toHaveLength(1);
  expect(result.errors?.[0].extensions?.code).toBe('NOT_FOUND');
}

const headers = (count: number): Header[] =>
  Array.from({ length: count }, (_, i) => ({ name: `X-Header-${i}`, value: `v${i}` }));

interface ValidationCase {
  name: string;
  input: Vars;
  field: string;
  rule: RegExp;
  /** A part of the submitted value that must not come back in the response. */
  echo?: string;
}

const CREATE_CASES: ValidationCase[] = [
  { name: 'an empty displayName', input: { displayName: '' }, field: 'displayName', rule: /1–100/ },
  {
    name: 'a displayName of 101 characters',
    input: { displayName: 'Ď'.repeat(101) },
    field: 'displayName',
    rule: /1–100 characters/,
    echo: 'ĎĎĎĎĎĎĎĎĎĎ',
  },
  {
    name: 'a WEBSITE without url',
    input: { monitorType: 'WEBSITE' },
    field: 'url',
    rule: /WEBSITE monitor needs url/,
  },
  {
    name: 'an ftp:// url',
    input: { monitorType: 'WEBSITE', url: 'ftp://files.example.com/pub' },
    field: 'url',
    rule: /http:\/\/ or https:\/\//,
    echo: 'files.example.com',
  },
  {
    name: 'a url that is not a url',
    input: { monitorType: 'WEBSITE', url: 'not a url at all' },
    field: 'url',
    rule: /http:\/\/ or https:\/\//,
    echo: 'not a url at all',
  },
  {
    name: 'a url with credentials',
    input: { monitorType: 'WEBSITE', url: 'https://alice:Sup3rSecretPassw0rd@status.example.com/' },
    field: 'url',
    rule: /credentials.*requestHeaders/,
    echo: 'Sup3rSecretPassw0rd',
  },
  {
    name: 'a PING without host',
    input: { monitorType: 'PING' },
    field: 'host',
    rule: /needs host/,
  },
  {
    name: 'a PING host with a scheme',
    input: { monitorType: 'PING', host: 'http://pinged.example.com' },
    field: 'host',
    rule: /host name or an IP address, without a scheme or port/,
    echo: 'pinged.example.com',
  },
  {
    name: 'a PING host with a port',
    input: { monitorType: 'PING', host: 'pinged.example.com:80' },
    field: 'host',
    rule: /without a scheme or port/,
    echo: 'pinged.example.com',
  },
  {
    name: 'a SERVICE without serviceName',
    input: { monitorType: 'SERVICE' },
    field: 'serviceName',
    rule: /SERVICE monitor needs serviceName/,
  },
  {
    name: 'a url on a PING',
    input: { monitorType: 'PING', host: '192.0.2.1', url: 'https://example.com/' },
    field: 'url',
    rule: /applies only to WEBSITE/,
  },
  {
    name: 'a host on a WEBSITE',
    input: { monitorType: 'WEBSITE', url: 'https://example.com/', host: 'example.com' },
    field: 'host',
    rule: /applies only to PING/,
  },
  {
    name: 'a serviceName on a CUSTOM',
    input: { monitorType: 'CUSTOM', serviceName: 'AWS S3' },
    field: 'serviceName',
    rule: /applies only to SERVICE/,
  },
  {
    name: 'requestHeaders on a PING',
    input: { monitorType: 'PING', host: 'example.com', requestHeaders: headers(1) },
    field: 'requestHeaders',
    rule: /apply only to WEBSITE/,
  },
  {
    name: 'requestHeaders on a CUSTOM',
    input: { monitorType: 'CUSTOM', requestHeaders: headers(1) },
    field: 'requestHeaders',
    rule: /apply only to WEBSITE/,
  },
  {
    name: '21 request headers',
    input: { monitorType: 'WEBSITE', url: 'https://example.com/', requestHeaders: headers(21) },
    field: 'requestHeaders',
    rule: /at most 20/,
  },
  {
    name: 'a header name with a space',
    input: {
      monitorType: 'WEBSITE',
      url: 'https://example.com/',
      requestHeaders: [{ name: 'X Weird Header', value: 'ok' }],
    },
    field: 'requestHeaders',
    rule: /HTTP header name/,
    echo: 'X Weird Header',
  },
  {
    name: 'a header value with a newline',
    input: {
      monitorType: 'WEBSITE',
      url: 'https://example.com/',
      requestHeaders: [{ name: 'X-Token', value: 'tok-8c1f\r\nX-Injected: smuggled' }],
    },
    field: 'requestHeaders',
    rule: /without line breaks/,
    echo: 'smuggled',
  },
  {
    name: 'checkIntervalMinutes 0',
    input: { checkIntervalMinutes: 0 },
    field: 'checkIntervalMinutes',
    rule: /1 to 1440/,
  },
  {
    name: 'checkIntervalMinutes 1441',
    input: { checkIntervalMinutes: 1441 },
    field: 'checkIntervalMinutes',
    rule: /1 to 1440/,
    echo: '1441',
  },
];

const UPDATE_CASES: (ValidationCase & { target: 'WEBSITE' | 'PING' })[] = [
  {
    target: 'WEBSITE',
    name: 'an empty displayName',
    input: { displayName: '' },
    field: 'displayName',
    rule: /1–100/,
  },
  {
    target: 'WEBSITE',
    name: 'a displayName of 101 characters',
    input: { displayName: 'Ď'.repeat(101) },
    field: 'displayName',
    rule: /1–100 characters/,
    echo: 'ĎĎĎĎĎĎĎĎĎĎ',
  },
  {
    target: 'WEBSITE',
    name: 'url: null on a WEBSITE',
    input: { url: null },
    field: 'url',
    rule: /WEBSITE monitor needs url/,
  },
  {
    target: 'WEBSITE',
    name: 'an ftp:// url',
    input: { url: 'ftp://files.example.com/pub' },
    field: 'url',
    rule: /http:\/\/ or https:\/\//,
    echo: 'files.example.com',
  },
  {
    target: 'WEBSITE',
    name: 'a url with credentials',
    input: { url: 'https://bob:An0therSecretPw@status.example.com/' },
    field: 'url',
    rule: /credentials.*requestHeaders/,
    echo: 'An0therSecretPw',
  },
  {
    target: 'WEBSITE',
    name: 'a host on a WEBSITE',
    input: { host: 'example.com' },
    field: 'host',
    rule: /applies only to PING/,
  },
  {
    target: 'WEBSITE',
    name: '21 request headers',
    input: { requestHeaders: headers(21) },
    field: 'requestHeaders',
    rule: /at most 20/,
  },
  {
    target: 'WEBSITE',
    name: 'a header value with a newline',
    input: { requestHeaders: [{ name: 'X-Token', value: 'tok\nX-Injected: smuggled' }] },
    field: 'requestHeaders',
    rule: /without line breaks/,
    echo: 'smuggled',
  },
  {
    target: 'WEBSITE',
    name: 'checkIntervalMinutes 1441',
    input: { checkIntervalMinutes: 1441 },
    field: 'checkIntervalMinutes',
    rule: /1 to 1440/,
  },
  {
    target: 'PING',
    name: 'host: null on a PING',
    input: { host: null },
    field: 'host',
    rule: /PING monitor needs host/,
  },
  {
    target: 'PING',
    name: 'a PING host with a port',
    input: { host: 'pinged.example.com:80' },
    field: 'host',
    rule: /without a scheme or port/,
    echo: 'pinged.example.com',
  },
  {
    target: 'PING',
    name: 'requestHeaders on a PING',
    input: { requestHeaders: headers(1) },
    field: 'requestHeaders',
    rule: /apply only to WEBSITE/,
  },
  {
    target: 'PING',
    name: 'a serviceName on a PING',
    input: { serviceName: 'AWS S3' },
    field: 'serviceName',
    rule: /applies only to SERVICE/,
  },
];

describe('monitors', () => {
  let app: TestApp;
  let boardId: string;

  beforeEach(async () => {
    app = await TestApp.start();
    boardId = await createBoard(app);
  });
  afterEach(() => app.close());

  const monitorRows = () =>
    app.services.db.reader.find(Monitor, {
      where: { organizationId: app.organization.id },
      order: { id: 'ASC' },
    });

  describe('validation', () => {
    it.each(CREATE_CASES)('createMonitor refuses $name', async ({ input, field, rule, echo }) => {
      const result = await app.execute(app.identities.full.secret, CREATE_MONITOR, {
        input: { boardId, displayName: 'Checkout API', monitorType: 'CUSTOM', ...input },
      });
      expectInputError(result, field, rule, echo);
      expect(await monitorRows()).toEqual([]);
    });

    it.each(UPDATE_CASES)(
      'updateMonitor of a $target refuses $name and changes nothing',
      async ({ target, input, field, rule, echo }) => {
        const monitor = await createMonitor(
          app,
          boardId,
          target === 'WEBSITE'
            ? {
                monitorType: 'WEBSITE',
                url: 'https://status.example.com/health',
                requestHeaders: [{ name: 'Authorization', value: 'Bearer kept' }],
              }
            : { monitorType: 'PING', host: 'db-1.example.com' },
        );
        const before = await monitorRows();
        const result = await app.execute(app.identities.full.secret, UPDATE_MONITOR, {
          id: monitor.id,
          input,
        });
        expectInputError(result, field, rule, echo);
        expect(await monitorRows()).toEqual(before);
      },
    );

    it('updateMonitor cannot change a valid monitor into an invalid shape, field by field', async () => {
      const website = await createMonitor(app, boardId, {
        monitorType: 'WEBSITE',
        url: 'https://status.example.com/health',
      });
      const before = await monitorRows();
      // Each change alone is refused; null on a required field is not "leave as it is".
      for (const input of [{ url: null }, { url: null, host: 'example.com' }]) {
        const result = await app.execute(app.identities.full.secret, UPDATE_MONITOR, {
          id: website.id,
          input,
        });
        expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      }
      expect(await monitorRows()).toEqual(before);
      const read = await app.data<{ monitor: MonitorData }>(
        `query($id: ID!) { monitor(id: $id) { ${MONITOR_FIELDS} } }`,
        { id: website.id },
      );
      expect(read.monitor.url).toBe('https://status.example.com/health');
      expect(read.monitor.host).toBeNull();
    });

    it('setMonitorStatus refuses a message over 10,000 characters and changes nothing', async () => {
      const monitor = await createMonitor(app, boardId);
      const before = await monitorRows();
      const result = await app.execute(app.identities.full.secret, SET_STATUS, {
        id: monitor.id,
        status: 'DOWN',
        message: 'ǅ'.repeat(10_001),
      });
      expectInputError(result, 'message', /at most 10,000 characters/, 'ǅǅǅǅǅǅǅǅ');
      expect(await monitorRows()).toEqual(before);
      expect(await app.services.db.reader.count(StatusEvent)).toBe(0);

      // 10,000 characters exactly is allowed.
      const accepted = await setStatus(app, monitor.id, 'DOWN', 'm'.repeat(10_000));
      expect(accepted.status).toBe('DOWN');
    });

    it('accepts the limits: 100-character displayName, checkIntervalMinutes 1 and 1440, 20 headers', async () => {
      const long = await createMonitor(app, boardId, {
        displayName: 'n'.repeat(100),
        checkIntervalMinutes: 1,
      });
      expect(long.displayName).toBe('n'.repeat(100));
      expect(long.checkIntervalMinutes).toBe(1);
      const website = await createMonitor(app, boardId, {
        monitorType: 'WEBSITE',
        url: 'http://example.com/',
        checkIntervalMinutes: 1440,
        requestHeaders: headers(20),
      });
      expect(website.checkIntervalMinutes).toBe(1440);
      expect(website.requestHeaders).toEqual(headers(20));
    });

    it('createMonitor with an unknown boardId gives NOT_FOUND and creates nothing', async () => {
      const result = await app.execute(app.identities.full.secret, CREATE_MONITOR, {
        input: { boardId: 'no-such-board', displayName: 'Checkout API', monitorType: 'CUSTOM' },
      });
      expectNotFound(result);
      expect(await monitorRows()).toEqual([]);
    });

    it('updateMonitor with an unknown boardId gives NOT_FOUND and changes nothing', async () => {
      const monitor = await createMonitor(app, boardId);
      const before = await monitorRows();
      const result = await app.execute(app.identities.full.secret, UPDATE_MONITOR, {
        id: monitor.id,
        input: { boardId: 'no-such-board', displayName: 'Renamed' },
      });
      expectNotFound(result);
      expect(await monitorRows()).toEqual(before);
    });
  });

  describe('creating', () => {
    it('defaults: status UNKNOWN, not paused, checked every 5 minutes, no status event', async () => {
      const created = await createMonitor(app, boardId);
      expect(created).toMatchObject({
        displayName: 'Checkout API',
        monitorType: 'CUSTOM',
        status: 'UNKNOWN',
        paused: false,
        checkIntervalMinutes: 5,
        url: null,
        host: null,
        serviceName: null,
        requestHeaders: null,
        lastCheckedAt: null,
        board: { id: boardId },
      });
      expect(created.createdAt).toBe(created.updatedAt);
      expect(await statusEvents(app)).toEqual([]);
      const read = await app.data<{ monitor: { statusEvents: { totalCount: number } } }>(
        'query($id: ID!) { monitor(id: $id) { statusEvents { totalCount } } }',
        { id: created.id },
      );
      expect(read.monitor.statusEvents.totalCount).toBe(0);
    });

    it.each([
      ['an IPv4 address', '192.0.2.10'],
      ['an IPv6 address', '2001:db8::1'],
      ['a host name', 'db-1.internal.example.com'],
    ])('a PING monitor accepts %s', async (_name, host) => {
      const created = await createMonitor(app, boardId, { monitorType: 'PING', host });
      expect(created.monitorType).toBe('PING');
      expect(created.host).toBe(host);
      const read = await app.data<{ monitor: { host: string } }>(
        'query($id: ID!) { monitor(id: $id) { host } }',
        { id: created.id },
      );
      expect(read.monitor.host).toBe(host);
    });

    it('a SERVICE monitor keeps its serviceName', async () => {
      const created = await createMonitor(app, boardId, {
        monitorType: 'SERVICE',
        serviceName: 'AWS S3 eu-west-1',
      });
      expect(created.serviceName).toBe('AWS S3 eu-west-1');
    });

    it('a WEBSITE monitor stores its headers and returns them to FULL_ACCESS, in order', async () => {
      const requestHeaders = [
        { name: 'Authorization', value: 'Bearer 0ddb4d1e' },
        { name: 'X-Trace', value: 'on' },
      ];
      const created = await createMonitor(app, boardId, {
        monitorType: 'WEBSITE',
        url: 'https://status.example.com/health',
        requestHeaders,
      });
      expect(created.requestHeaders).toEqual(requestHeaders);
      const read = await app.data<{ monitor: MonitorData }>(
        `query($id: ID!) { monitor(id: $id) { ${MONITOR_FIELDS} } }`,
        { id: created.id },
      );
      expect(read.monitor.url).toBe('https://status.example.com/health');
      expect(read.monitor.requestHeaders).toEqual(requestHeaders);
    });

    it('updateMonitor changes the given fields, keeps the others, and null clears the headers', async () => {
      const created = await createMonitor(app, boardId, {
        monitorType: 'WEBSITE',
        url: 'https://status.example.com/health',
        requestHeaders: headers(2),
      });
      const otherBoardId = await createBoard(app, 'Staging');
      const updated = await app.data<{ updateMonitor: MonitorData }>(UPDATE_MONITOR, {
        id: created.id,
        input: { displayName: 'Health', checkIntervalMinutes: 15, boardId: otherBoardId },
      });
      expect(updated.updateMonitor).toMatchObject({
        displayName: 'Health',
        checkIntervalMinutes: 15,
        url: 'https://status.example.com/health',
        requestHeaders: headers(2),
        board: { id: otherBoardId },
      });
      expect(Date.parse(updated.updateMonitor.updatedAt)).toBeGreaterThan(
        Date.parse(created.updatedAt),
      );
      const cleared = await app.data<{ updateMonitor: MonitorData }>(UPDATE_MONITOR, {
        id: created.id,
        input: { requestHeaders: null },
      });
      expect(cleared.updateMonitor.requestHeaders).toBeNull();
      expect(cleared.updateMonitor.displayName).toBe('Health');
    });
  });

  describe('pause, resume and status reports', () => {
    it('pauseMonitor and resumeMonitor toggle paused, keep the status, and are audited', async () => {
      const monitor = await createMonitor(app, boardId);
      await setStatus(app, monitor.id, 'UP');
      const paused = await app.data<{ pauseMonitor: MonitorData }>(
        `mutation($id: ID!) { pauseMonitor(id: $id) { ${MONITOR_FIELDS} } }`,
        { id: monitor.id },
      );
      expect(paused.pauseMonitor.paused).toBe(true);
      expect(paused.pauseMonitor.status).toBe('UP');
      const read = await app.data<{ monitor: { paused: boolean } }>(
        'query($id: ID!) { monitor(id: $id) { paused } }',
        { id: monitor.id },
      );
      expect(read.monitor.paused).toBe(true);

      const resumed = await app.data<{ resumeMonitor: MonitorData }>(
        `mutation($id: ID!) { resumeMonitor(id: $id) { ${MONITOR_FIELDS} } }`,
        { id: monitor.id },
      );
      expect(resumed.resumeMonitor.paused).toBe(false);
      expect(resumed.resumeMonitor.status).toBe('UP');
      expect((await monitorRows())[0].paused).toBe(false);

      for (const action of ['pauseMonitor', 'resumeMonitor']) {
        const events = await app.services.db.reader.findBy(AuditEvent, { action });
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({
          outcome: AuditOutcome.SUCCEEDED,
          targetType: 'Monitor',
          targetId: monitor.id,
          tokenId: app.identities.full.token.id,
        });
      }
    });

    it('setMonitorStatus records an event only when the status changes, and always moves lastCheckedAt', async () => {
      const monitor = await createMonitor(app, boardId);
      const first = await setStatus(app, monitor.id, 'UP', 'all good');
      expect(first.status).toBe('UP');
      expect(first.lastCheckedAt).not.toBeNull();
      const second = await setStatus(app, monitor.id, 'UP', 'still good');
      expect(second.status).toBe('UP');
      expect(Date.parse(second.lastCheckedAt ?? '')).toBeGreaterThan(
        Date.parse(first.lastCheckedAt ?? ''),
      );
      const third = await setStatus(app, monitor.id, 'DOWN', 'timeout');
      expect(third.status).toBe('DOWN');
      expect(Date.parse(third.lastCheckedAt ?? '')).toBeGreaterThan(
        Date.parse(second.lastCheckedAt ?? ''),
      );

      const events = await statusEvents(app);
      expect(events).toHaveLength(2);
      expect(
        events.map(({ status, previousStatus, message, monitor: m }) => ({
          status,
          previousStatus,
          message,
          monitorId: m.id,
        })),
      ).toEqual([
        { status: 'DOWN', previousStatus: 'UP', message: 'timeout', monitorId: monitor.id },
        { status: 'UP', previousStatus: 'UNKNOWN', message: 'all good', monitorId: monitor.id },
      ]);
      expect(events[0].recordedAt).toBe(third.lastCheckedAt);
      expect(events[1].recordedAt).toBe(first.lastCheckedAt);
      expect(await app.services.db.reader.countBy(StatusEvent, { monitorId: monitor.id })).toBe(2);
    });

    it('Monitor.statusEvents pages through the history, newest first', async () => {
      const monitor = await createMonitor(app, boardId);
      for (const status of ['UP', 'DOWN', 'DOWN', 'WARN', 'UP', 'MAINTENANCE']) {
        await setStatus(app, monitor.id, status);
      }
      const query = `query($id: ID!, $after: String) {
        monitor(id: $id) {
          statusEvents(first: 2, after: $after) {
            totalCount
            pageInfo { hasNextPage endCursor }
            nodes { status previousStatus recordedAt }
          }
        }
      }`;
      type Page = {
        monitor: {
          statusEvents: {
            totalCount: number;
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
            nodes: { status: string; previousStatus: string; recordedAt: string }[];
          };
        };
      };
      const seen: { status: string; previousStatus: string; recordedAt: string }[] = [];
      const more: boolean[] = [];
      let after: string | null = null;
      do {
        const page: Page = await app.data<Page>(query, { id: monitor.id, after });
        expect(page.monitor.statusEvents.totalCount).toBe(5);
        seen.push(...page.monitor.statusEvents.nodes);
        more.push(page.monitor.statusEvents.pageInfo.hasNextPage);
        after = page.monitor.statusEvents.pageInfo.hasNextPage
          ? page.monitor.statusEvents.pageInfo.endCursor
          : null;
      } while (after !== null);
      expect(more).toEqual([true, true, false]);
      expect(seen.map((e) => `${e.previousStatus}->${e.status}`)).toEqual([
        'UP->MAINTENANCE',
        'WARN->UP',
        'DOWN->WARN',
        'UP->DOWN',
        'UNKNOWN->UP',
      ]);
      const times = seen.map((e) => Date.parse(e.recordedAt));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
    });

    it('the statusEvents query filters by monitorId, status, recordedAfter and recordedBefore', async () => {
      const a = await createMonitor(app, boardId, { displayName: 'A' });
      const b = await createMonitor(app, boardId, { displayName: 'B' });
      await setStatus(app, a.id, 'UP'); // e1
      await setStatus(app, b.id, 'DOWN'); // e2
      await setStatus(app, a.id, 'DOWN'); // e3
      await setStatus(app, b.id, 'UP'); // e4
      const all = await statusEvents(app);
      expect(all.map((e) => [e.monitor.id, e.status])).toEqual([
        [b.id, 'UP'],
        [a.id, 'DOWN'],
        [b.id, 'DOWN'],
        [a.id, 'UP'],
      ]);
      const [e4, e3, e2, e1] = all;
      const ids = (events: EventData[]) => events.map((e) => e.id);

      expect(ids(await statusEvents(app, { monitorId: a.id }))).toEqual([e3.id, e1.id]);
      expect(ids(await statusEvents(app, { monitorId: b.id }))).toEqual([e4.id, e2.id]);
      expect(ids(await statusEvents(app, { status: 'DOWN' }))).toEqual([e3.id, e2.id]);
      expect(ids(await statusEvents(app, { status: 'WARN' }))).toEqual([]);
      expect(ids(await statusEvents(app, { recordedAfter: e2.recordedAt }))).toEqual([
        e4.id,
        e3.id,
      ]);
      expect(ids(await statusEvents(app, { recordedBefore: e3.recordedAt }))).toEqual([
        e2.id,
        e1.id,
      ]);
      expect(
        ids(
          await statusEvents(app, { recordedAfter: e1.recordedAt, recordedBefore: e4.recordedAt }),
        ),
      ).toEqual([e3.id, e2.id]);
      expect(ids(await statusEvents(app, { monitorId: a.id, status: 'DOWN' }))).toEqual([e3.id]);
      expect(ids(await statusEvents(app, { monitorId: 'no-such-monitor' }))).toEqual([]);
    });
  });

  describe('Monitor.requestHeaders needs FULL_ACCESS', () => {
    const SINGLE =
      'query($id: ID!) { monitor(id: $id) { displayName requestHeaders { name value } } }';

    it('a single monitor: FULL_ACCESS sees the headers; READ_ONLY gets null and one FORBIDDEN error there', async () => {
      const secretValue = 'Bearer 7f3a9c2e-very-private-token';
      const monitor = await createMonitor(app, boardId, {
        displayName: 'Billing site',
        monitorType: 'WEBSITE',
        url: 'https://billing.example.com/',
        requestHeaders: [{ name: 'Authorization', value: secretValue }],
      });

      const full = await app.asFullAccess().request(SINGLE, { id: monitor.id });
      expect(full.errors).toBeUndefined();
      expect(full.data).toEqual({
        monitor: {
          displayName: 'Billing site',
          requestHeaders: [{ name: 'Authorization', value: secretValue }],
        },
      });

      const readOnly = await app.asReadOnly().request(SINGLE, { id: monitor.id });
      expect(readOnly.status).toBe(200);
      expect(readOnly.data).toEqual({
        monitor: { displayName: 'Billing site', requestHeaders: null },
      });
      expect(readOnly.errors).toHaveLength(1);
      const [error] = readOnly.errors ?? [];
      expect(error.path).toEqual(['monitor', 'requestHeaders']);
      expect(error.extensions?.code).toBe('FORBIDDEN');
      expect(error.extensions?.requiredPermission).toBe('FULL_ACCESS');
      expect(readOnly.text).not.toContain(secretValue);
      expect(readOnly.text).not.toContain('7f3a9c2e');
    });

    it('inside a list: one FORBIDDEN error per monitor, all other data intact', async () => {
      const secrets = ['sekrit-aaa-111', 'sekrit-bbb-222', 'sekrit-ccc-333'];
      const created: MonitorData[] = [];
      for (const [i, value] of secrets.entries()) {
        created.push(
          await createMonitor(app, boardId, {
            displayName: `Site ${i}`,
            monitorType: 'WEBSITE',
            url: `https://site-${i}.example.com/`,
            requestHeaders: [{ name: 'X-Api-Key', value }],
          }),
        );
      }
      const query =
        '{ monitors(first: 10) { totalCount nodes { id displayName url status requestHeaders { name value } } } }';
      const result = await app.execute<{
        monitors: {
          totalCount: number;
          nodes: {
            id: string;
            displayName: string;
            url: string;
            status: string;
            requestHeaders: Header[] | null;
          }[];
        };
      }>(app.identities.readOnly.secret, query);
      expect(result.data?.monitors).toEqual({
        totalCount: 3,
        nodes: created.map((m, i) => ({
          id: m.id,
          displayName: `Site ${i}`,
          url: `https://site-${i}.example.com/`,
          status: 'UNKNOWN',
          requestHeaders: null,
        })),
      });
      expect(result.errors).toHaveLength(3);
      expect(result.errors?.map((e) => e.path)).toEqual(
        [0, 1, 2].map((i) => ['monitors', 'nodes', i, 'requestHeaders']),
      );
      for (const error of result.errors ?? []) {
        expect(error.extensions?.code).toBe('FORBIDDEN');
        expect(error.extensions?.requiredPermission).toBe('FULL_ACCESS');
      }
      const text = JSON.stringify(result);
      for (const value of secrets) {
        expect(text).not.toContain(value);
      }

      const full = await app.execute<{
        monitors: { nodes: { requestHeaders: Header[] | null }[] };
      }>(app.identities.full.secret, query);
      expect(full.errors).toBeUndefined();
      expect(full.data?.monitors.nodes.map((m) => m.requestHeaders)).toEqual(
        secrets.map((value) => [{ name: 'X-Api-Key', value }]),
      );
    });

    it('every nested path to a monitor is ruled too: Board.monitors, Incident.monitors, StatusEvent.monitor', async () => {
      const secretValue = 'nested-secret-5b2d';
      const monitor = await createMonitor(app, boardId, {
        monitorType: 'WEBSITE',
        url: 'https://nested.example.com/',
        requestHeaders: [{ name: 'X-Api-Key', value: secretValue }],
      });
      await setStatus(app, monitor.id, 'DOWN');
      const incident = await createIncident(app, { boardId, monitorIds: [monitor.id] });
      const query = `query($b: ID!, $i: ID!) {
        board(id: $b) { monitors { nodes { id requestHeaders { value } } } }
        incident(id: $i) { monitors { id requestHeaders { value } } }
        statusEvents { nodes { monitor { id requestHeaders { value } } } }
      }`;
      const variables = { b: boardId, i: incident.id };
      const result = await app.execute(app.identities.readOnly.secret, query, variables);
      const entry = { id: monitor.id, requestHeaders: null };
      expect(result.data).toEqual({
        board: { monitors: { nodes: [entry] } },
        incident: { monitors: [entry] },
        statusEvents: { nodes: [{ monitor: entry }] },
      });
      const paths = (result.errors ?? []).map((e) => JSON.stringify(e.path)).sort();
      expect(paths).toEqual(
        [
          ['board', 'monitors', 'nodes', 0, 'requestHeaders'],
          ['incident', 'monitors', 0, 'requestHeaders'],
          ['statusEvents', 'nodes', 0, 'monitor', 'requestHeaders'],
        ]
          .map((path) => JSON.stringify(path))
          .sort(),
      );
      for (const error of result.errors ?? []) {
        expect(error.extensions?.code).toBe('FORBIDDEN');
        expect(error.extensions?.requiredPermission).toBe('FULL_ACCESS');
      }
      expect(JSON.stringify(result)).not.toContain(secretValue);

      const full = await app.execute(app.identities.full.secret, query, variables);
      expect(full.errors).toBeUndefined();
      expect(JSON.stringify(full.data).split(secretValue)).toHaveLength(4);
    });
  });

  describe('deleting', () => {
    it('deleteMonitor removes the monitor and its history, and takes it out of incidents', async () => {
      const doomed = await createMonitor(app, boardId, { displayName: 'Doomed' });
      const kept = await createMonitor(app, boardId, { displayName: 'Kept' });
      await setStatus(app, doomed.id, 'UP');
      await setStatus(app, doomed.id, 'DOWN');
      await setStatus(app, kept.id, 'UP');
      const incident = await createIncident(app, { boardId, monitorIds: [doomed.id, kept.id] });
      const untouched = await createIncident(app, { boardId, monitorIds: [kept.id] });

      const deleted = await app.data<{ deleteMonitor: string }>(
        'mutation($id: ID!) { deleteMonitor(id: $id) }',
        { id: doomed.id },
      );
      expect(deleted.deleteMonitor).toBe(doomed.id);

      const read = await app.data<{ monitor: MonitorData | null }>(
        `query($id: ID!) { monitor(id: $id) { ${MONITOR_FIELDS} } }`,
        { id: doomed.id },
      );
      expect(read.monitor).toBeNull();
      expect(await statusEvents(app, { monitorId: doomed.id })).toEqual([]);
      expect((await statusEvents(app)).map((e) => e.monitor.id)).toEqual([kept.id]);
      expect(await app.services.db.reader.countBy(StatusEvent, { monitorId: doomed.id })).toBe(0);
      expect(await app.services.db.reader.countBy(IncidentMonitor, { monitorId: doomed.id })).toBe(
        0,
      );
      const list = await app.data<{ monitors: { nodes: { id: string }[] } }>(
        '{ monitors { nodes { id } } }',
      );
      expect(list.monitors.nodes).toEqual([{ id: kept.id }]);

      type IncidentRead = { incident: { monitors: { id: string }[]; updatedAt: string } };
      const after = await app.data<IncidentRead>(
        'query($id: ID!) { incident(id: $id) { updatedAt monitors { id } } }',
        { id: incident.id },
      );
      expect(after.incident.monitors).toEqual([{ id: kept.id }]);
      expect(Date.parse(after.incident.updatedAt)).toBeGreaterThan(Date.parse(incident.updatedAt));
      // An incident that did not list it is not touched.
      const other = await app.data<IncidentRead>(
        'query($id: ID!) { incident(id: $id) { updatedAt monitors { id } } }',
        { id: untouched.id },
      );
      expect(other.incident.updatedAt).toBe(untouched.updatedAt);
      const byMonitor = await app.data<{ incidents: { nodes: unknown[] } }>(
        'query($id: ID!) { incidents(filter: { monitorId: $id }) { nodes { id } } }',
        { id: doomed.id },
      );
      expect(byMonitor.incidents.nodes).toEqual([]);

      const again = await app.execute(
        app.identities.full.secret,
        'mutation($id: ID!) { deleteMonitor(id: $id) }',
        { id: doomed.id },
      );
      expectNotFound(again);
    });

    it('deleteBoard removes its monitors and their events, and leaves its incidents as tombstones', async () => {
      const otherBoardId = await createBoard(app, 'Staging');
      const m1 = await createMonitor(app, boardId, { displayName: 'M1' });
      const m2 = await createMonitor(app, boardId, { displayName: 'M2' });
      const m3 = await createMonitor(app, otherBoardId, { displayName: 'M3' });
      await setStatus(app, m1.id, 'DOWN');
      await setStatus(app, m2.id, 'UP');
      await setStatus(app, m3.id, 'WARN');
      const i1 = await createIncident(app, { boardId, monitorIds: [m1.id], name: 'I1' });
      const i2 = await createIncident(app, { boardId, name: 'I2' });
      // An incident on another board may list a monitor of the deleted board.
      const i3 = await createIncident(app, {
        boardId: otherBoardId,
        monitorIds: [m1.id, m3.id],
        name: 'I3',
      });

      const deleted = await app.data<{ deleteBoard: string }>(
        'mutation($id: ID!) { deleteBoard(id: $id) }',
        { id: boardId },
      );
      expect(deleted.deleteBoard).toBe(boardId);

      for (const id of [m1.id, m2.id]) {
        const read = await app.data<{ monitor: unknown }>(
          'query($id: ID!) { monitor(id: $id) { id } }',
          { id },
        );
        expect(read.monitor).toBeNull();
      }
      const monitors = await app.data<{ monitors: { nodes: { id: string }[] } }>(
        '{ monitors { nodes { id } } }',
      );
      expect(monitors.monitors.nodes).toEqual([{ id: m3.id }]);
      expect((await statusEvents(app)).map((e) => e.monitor.id)).toEqual([m3.id]);
      expect(await app.services.db.reader.count(StatusEvent)).toBe(1);
      expect(await app.services.db.reader.countBy(Monitor, { boardId })).toBe(0);

      for (const id of [i1.id, i2.id]) {
        const read = await app.data<{ incident: unknown }>(
          'query($id: ID!) { incident(id: $id) { id } }',
          { id },
        );
        expect(read.incident).toBeNull();
      }
      const live = await app.data<{ incidents: { nodes: { id: string }[] } }>(
        '{ incidents { nodes { id } } }',
      );
      expect(live.incidents.nodes).toEqual([{ id: i3.id }]);

      type Tombstones = {
        incidents: {
          nodes: {
            id: string;
            name: string;
            deletedAt: string | null;
            updatedAt: string;
            board: { id: string; name: string };
          }[];
        };
      };
      const withDeleted =
        await app.data<Tombstones>(`{ incidents(filter: { includeDeleted: true }, orderBy: STARTED_AT_ASC) {
          nodes { id name deletedAt updatedAt board { id name } }
        } }`);
      const byId = new Map(withDeleted.incidents.nodes.map((n) => [n.id, n]));
      expect(withDeleted.incidents.nodes.map((n) => n.id)).toEqual([i1.id, i2.id, i3.id]);
      for (const incident of [i1, i2]) {
        const node = byId.get(incident.id);
        expect(node?.deletedAt).not.toBeNull();
        expect(node?.board).toEqual({ id: boardId, name: 'Production' });
        expect(Date.parse(node?.updatedAt ?? '')).toBeGreaterThan(Date.parse(incident.updatedAt));
      }
      expect(byId.get(i3.id)?.deletedAt).toBeNull();
      // It survives without the deleted monitor, and its updatedAt moved so a sync sees that.
      const i3After = await app.data<{
        incident: { monitors: { id: string }[]; updatedAt: string };
      }>('query($id: ID!) { incident(id: $id) { updatedAt monitors { id } } }', { id: i3.id });
      expect(i3After.incident.monitors).toEqual([{ id: m3.id }]);
      expect(Date.parse(i3After.incident.updatedAt)).toBeGreaterThan(Date.parse(i3.updatedAt));
      expect(byId.get(i3.id)?.board).toEqual({ id: otherBoardId, name: 'Staging' });
      // Tombstones are stored rows, not removed ones.
      expect(
        await app.services.db.reader.countBy(Incident, { organizationId: app.organization.id }),
      ).toBe(3);

      const board = await app.data<{ board: unknown }>(
        'query($id: ID!) { board(id: $id) { id } }',
        { id: boardId },
      );
      expect(board.board).toBeNull();
      const boards = await app.data<{ boards: { nodes: { id: string }[] } }>(
        '{ boards { nodes { id } } }',
      );
      expect(boards.boards.nodes).toEqual([{ id: otherBoardId }]);

      const mutations: [string, Vars][] = [
        [
          'mutation($id: ID!) { updateBoard(id: $id, input: { name: "Back" }) { id } }',
          { id: boardId },
        ],
        ['mutation($id: ID!) { deleteBoard(id: $id) }', { id: boardId }],
        [CREATE_MONITOR, { input: { boardId, displayName: 'New', monitorType: 'CUSTOM' } }],
        [
          'mutation($input: CreateIncidentInput!) { createIncident(input: $input) { id } }',
          { input: { boardId, name: 'New', severity: 'MINOR' } },
        ],
        [UPDATE_MONITOR, { id: m3.id, input: { boardId } }],
      ];
      for (const [mutation, variables] of mutations) {
        expectNotFound(await app.execute(app.identities.full.secret, mutation, variables));
      }
      const m3After = await app.data<{ monitor: { board: { id: string } } }>(
        'query($id: ID!) { monitor(id: $id) { board { id } } }',
        { id: m3.id },
      );
      expect(m3After.monitor.board.id).toBe(otherBoardId);
    });
  });
});
