import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ApolloClient,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  gql,
} from '@apollo/client/core';
import { ClientError, GraphQLClient } from 'graphql-request';
import { IsNull } from 'typeorm';
import { ApiToken } from '../../src/tokens/api-token.entity';
import { Board } from '../../src/boards/board.entity';
import { seedDemo } from '../../src/demo/demo-data';
import { IncidentSeverity } from '../../src/incidents/incident-enums';
import { Incident } from '../../src/incidents/incident.entity';
import { IncidentMonitor } from '../../src/incidents/incident-monitor.entity';
import { MonitorType } from '../../src/monitors/monitor-enums';
import { Monitor } from '../../src/monitors/monitor.entity';
import { TestApp } from '../helpers/test-app';

/**
 * The clients integrations really use, against a real server over real HTTP: graphql-request and
 * Apollo Client (a BI pull with a READ_ONLY token and an automation with a FULL_ACCESS one), and
 * curl running the README's examples exactly as written.
 */

const FORBIDDEN_MESSAGE =
  'This operation requires a full-access API token; this token is read-only.';

// Small pages, so that every client really follows endCursor over many pages (the demo data has
// about forty incidents, plus the ties below).
const PAGE_SIZE = 7;

const INCIDENTS_PAGE = `query Incidents($first: Int!, $after: String) {
  incidents(first: $first, after: $after) {
    nodes { id name severity phase startedAt board { id name } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const OPEN_AND_RESOLVE = {
  create: `mutation Open($input: CreateIncidentInput!) {
    createIncident(input: $input) { id phase resolvedAt }
  }`,
  resolve: `mutation Resolve($id: ID!, $message: String) {
    resolveIncident(id: $id, message: $message) {
      id phase resolvedAt updates { phase message }
    }
  }`,
};

interface IncidentsPage {
  incidents: {
    nodes: { id: string; name: string; startedAt: string; board: { id: string; name: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

interface Opened {
  createIncident: { id: string; phase: string; resolvedAt: string | null };
}

interface Resolved {
  resolveIncident: {
    id: string;
    phase: string;
    resolvedAt: string | null;
    updates: { phase: string; message: string }[];
  };
}

/** Demo data plus incidents that all start at the same millisecond, so pages split ties. */
async function seedIncidents(app: TestApp): Promise<{ boardId: string }> {
  await seedDemo(app.services, app.organization);
  const board = await app.services.boards.create(app.systemActor(), { name: 'Ties' });
  const startedAt = new Date('2026-02-01T12:00:00.000Z');
  for (let i = 0; i < PAGE_SIZE + 3; i++) {
    await app.services.incidents.create(app.systemActor(), {
      boardId: board.id,
      name: `Tie ${i}`,
      severity: IncidentSeverity.MINOR,
      startedAt,
    });
  }
  return { boardId: board.id };
}

function liveIncidents(app: TestApp): Promise<Incident[]> {
  return app.services.db.reader.find(Incident, {
    where: { organizationId: app.organization.id, deletedAt: IsNull() },
  });
}

/** What every client's pull must deliver: each live incident exactly once, over several pages. */
async function expectCompletePull(
  app: TestApp,
  pages: IncidentsPage['incidents'][],
): Promise<void> {
  const ids = pages.flatMap((page) => page.nodes.map((node) => node.id));
  const expected = (await liveIncidents(app)).map((incident) => incident.id);
  expect(pages.length).toBe(Math.ceil(expected.length / PAGE_SIZE));
  expect(ids).toHaveLength(expected.length);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual([...expected].sort());
  // The default order is startedAt newest first, and pages continue it without a jump back.
  const started = pages.flatMap((page) => page.nodes.map((node) => node.startedAt));
  expect(started).toEqual([...started].sort().reverse());
  expect(pages.at(-1)?.pageInfo.hasNextPage).toBe(false);
  expect(pages.slice(0, -1).every((page) => page.pageInfo.hasNextPage)).toBe(true);
}

async function incidentCount(app: TestApp): Promise<number> {
  return app.services.db.reader.countBy(Incident, { organizationId: app.organization.id });
}

describe('graphql-request', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  const clientFor = (secret: string) =>
    new GraphQLClient(`${app.url}/graphql`, { headers: { authorization: `Bearer ${secret}` } });

  it('pulls every incident page by page with a READ_ONLY token, each exactly once', async () => {
    await seedIncidents(app);
    const client = clientFor(app.identities.readOnly.secret);
    const pages: IncidentsPage['incidents'][] = [];
    let after: string | null = null;
    do {
      const page: IncidentsPage = await client.request<IncidentsPage>(INCIDENTS_PAGE, {
        first: PAGE_SIZE,
        after,
      });
      pages.push(page.incidents);
      after = page.incidents.pageInfo.hasNextPage ? page.incidents.pageInfo.endCursor : null;
    } while (after !== null);
    await expectCompletePull(app, pages);
  });

  it('opens and resolves an incident with FULL_ACCESS; READ_ONLY gets FORBIDDEN', async () => {
    const { boardId } = await seedIncidents(app);
    const input = { boardId, name: 'Checkout errors', severity: 'MAJOR' };

    const full = clientFor(app.identities.full.secret);
    const opened = await full.request<Opened>(OPEN_AND_RESOLVE.create, { input });
    expect(opened.createIncident).toMatchObject({ phase: 'INVESTIGATING', resolvedAt: null });
    const resolved = await full.request<Resolved>(OPEN_AND_RESOLVE.resolve, {
      id: opened.createIncident.id,
      message: 'Rolled back.',
    });
    expect(resolved.resolveIncident).toMatchObject({
      id: opened.createIncident.id,
      phase: 'RESOLVED',
      updates: [{ phase: 'RESOLVED', message: 'Rolled back.' }],
    });
    expect(resolved.resolveIncident.resolvedAt).toEqual(expect.any(String));

    const before = await incidentCount(app);
    const refused = await clientFor(app.identities.readOnly.secret)
      .request<Opened>(OPEN_AND_RESOLVE.create, { input })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(ClientError);
    if (!(refused instanceof ClientError)) {
      throw new Error('expected a ClientError');
    }
    expect(refused.response.status).toBe(200);
    expect(refused.response.data ?? null).toBeNull();
    expect(refused.response.errors).toHaveLength(1);
    expect(refused.response.errors?.[0]).toMatchObject({
      message: FORBIDDEN_MESSAGE,
      extensions: { code: 'FORBIDDEN', requiredPermission: 'FULL_ACCESS' },
    });
    expect(await incidentCount(app)).toBe(before);
  });
});

describe('Apollo Client (core, in Node)', () => {
  let app: TestApp;
  let clients: ApolloClient[];
  beforeEach(async () => {
    app = await TestApp.start();
    clients = [];
  });
  afterEach(async () => {
    for (const client of clients) {
      client.stop();
    }
    await app.close();
  });

  const clientFor = (secret: string) => {
    const client = new ApolloClient({
      link: new HttpLink({
        uri: `${app.url}/graphql`,
        fetch,
        headers: { authorization: `Bearer ${secret}` },
      }),
      cache: new InMemoryCache(),
    });
    clients.push(client);
    return client;
  };

  it('pulls every incident page by page with a READ_ONLY token, each exactly once', async () => {
    await seedIncidents(app);
    const client = clientFor(app.identities.readOnly.secret);
    const query = gql(INCIDENTS_PAGE);
    const pages: IncidentsPage['incidents'][] = [];
    let after: string | null = null;
    do {
      // no-cache: a bulk pull must not be merged or served from the normalized cache.
      const result: ApolloClient.QueryResult<IncidentsPage> = await client.query<IncidentsPage>({
        query,
        variables: { first: PAGE_SIZE, after },
        fetchPolicy: 'no-cache',
      });
      if (!result.data) {
        throw new Error(`no data: ${String(result.error)}`);
      }
      pages.push(result.data.incidents);
      const { pageInfo } = result.data.incidents;
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    } while (after !== null);
    await expectCompletePull(app, pages);
  });

  it('opens and resolves an incident with FULL_ACCESS; READ_ONLY gets FORBIDDEN', async () => {
    const { boardId } = await seedIncidents(app);
    const input = { boardId, name: 'Checkout errors', severity: 'MAJOR' };

    const full = clientFor(app.identities.full.secret);
    const opened = await full.mutate<Opened>({
      mutation: gql(OPEN_AND_RESOLVE.create),
      variables: { input },
    });
    const id = opened.data?.createIncident.id;
    if (!id) {
      throw new Error('createIncident returned no id');
    }
    expect(opened.data?.createIncident).toMatchObject({ phase: 'INVESTIGATING', resolvedAt: null });
    const resolved = await full.mutate<Resolved>({
      mutation: gql(OPEN_AND_RESOLVE.resolve),
      variables: { id, message: 'Rolled back.' },
    });
    expect(resolved.data?.resolveIncident).toMatchObject({
      id,
      phase: 'RESOLVED',
      updates: [{ phase: 'RESOLVED', message: 'Rolled back.' }],
    });
    expect(resolved.data?.resolveIncident.resolvedAt).toEqual(expect.any(String));

    const before = await incidentCount(app);
    const refused = await clientFor(app.identities.readOnly.secret)
      .mutate<Opened>({ mutation: gql(OPEN_AND_RESOLVE.create), variables: { input } })
      .then(
        () => null,
        (error: unknown) => error,
      );
    if (!CombinedGraphQLErrors.is(refused)) {
      throw new Error(`expected CombinedGraphQLErrors, got ${String(refused)}`);
    }
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors[0]).toMatchObject({
      message: FORBIDDEN_MESSAGE,
      extensions: { code: 'FORBIDDEN', requiredPermission: 'FULL_ACCESS' },
    });
    expect(await incidentCount(app)).toBe(before);
  });
});

/** One ```sh block of README.md that runs curl. */
interface CurlExample {
  /** Which documented operation it shows (the checks below are keyed by it). */
  operation: string;
  script: string;
  /** The `# ...` lines after the command: the documented output, when the README gives one. */
  documentedOutput: string | null;
}

const README = join(__dirname, '..', '..', 'README.md');
const README_URL = 'http://localhost:4000';

function readmeCurlExamples(): CurlExample[] {
  const markdown = readFileSync(README, 'utf8');
  const blocks = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
  return blocks
    .filter((block) => /\bcurl\b/.test(block))
    .map((script) => {
      if (script.includes('/export/')) {
        // The exports' example writes files; its check reads them.
        return { operation: 'exports', script, documentedOutput: null };
      }
      const body = /-d '(\{.*\})'/.exec(script)?.[1];
      if (!body) {
        throw new Error(`README curl example without a -d '{...}' body:\n${script}`);
      }
      // The operation's name, or else its first root field, names the example.
      const operation =
        /"query":"(?:query|mutation) ([A-Z]\w*)/.exec(body)?.[1] ??
        /"query":"(?:query|mutation)?[^{]*\{\s*(\w+)/.exec(body)?.[1];
      if (!operation) {
        throw new Error(`cannot tell which operation this README example runs:\n${script}`);
      }
      // Comment lines after the command are its documented output; those before explain it.
      const comments = script
        .slice(script.indexOf('curl'))
        .split('\n')
        .filter((line) => line.startsWith('# '))
        .map((line) => line.slice(2).trim());
      return {
        operation,
        script,
        documentedOutput: comments.length > 0 ? comments.join('') : null,
      };
    });
}

/**
 * The variables the shell expands in `script`: `$NAME` outside single quotes (inside them, `$after`
 * is a GraphQL variable). Enough shell for the README: quotes, backslashes and comment lines.
 */
function shellVariables(script: string): string[] {
  const names: string[] = [];
  for (const line of script.split('\n')) {
    if (line.trimStart().startsWith('#')) {
      continue;
    }
    let quote: "'" | '"' | null = null;
    for (let i = 0; i < line.length; i++) {
      const char = line[i];
      if (quote === "'") {
        quote = char === "'" ? null : quote;
      } else if (char === '\\') {
        i++;
      } else if (char === "'" && quote === null) {
        quote = "'";
      } else if (char === '"') {
        quote = quote === '"' ? null : '"';
      } else if (char === '$') {
        const name = /^\{?([A-Za-z_]\w*)/.exec(line.slice(i + 1))?.[1];
        if (name) {
          names.push(name);
        }
      }
    }
  }
  return names;
}

const CURL_EXAMPLES = readmeCurlExamples();

describe('the README curl examples, run verbatim', () => {
  let app: TestApp;
  let fixture: { boardId: string; monitorId: string };
  beforeEach(async () => {
    app = await TestApp.start();
    await seedDemo(app.services, app.organization);
    const board = await app.services.boards.create(app.systemActor(), { name: 'Checkout' });
    const monitor = await app.services.monitors.create(app.systemActor(), {
      boardId: board.id,
      displayName: 'Checkout API',
      monitorType: MonitorType.CUSTOM,
    });
    fixture = { boardId: board.id, monitorId: monitor.id };
  });
  afterEach(() => app.close());

  /** The shell variables the README's examples may use, and nothing from this process. */
  function environment(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      STATUSGRAPH_TOKEN: app.identities.full.secret,
      READ_ONLY_TOKEN: app.identities.readOnly.secret,
      MONITOR_ID: fixture.monitorId,
      BOARD_ID: fixture.boardId,
    };
  }

  /** Runs `example` in a directory of its own (where it may write files); its stdout. */
  async function runScript(example: CurlExample, cwd?: string): Promise<string> {
    expect(example.script).toContain(README_URL);
    const used = shellVariables(example.script);
    const env = environment();
    // A variable the test does not provide would expand to nothing and test something else.
    expect(used.filter((name) => !(name in env))).toEqual([]);
    const script = example.script.split(README_URL).join(app.url);
    // -u: an unset variable is an error rather than an empty string; --norc: no start-up file
    // (Debian's bash reads bash.bashrc when its stdin looks like a remote shell's socket).
    const { stdout, stderr } = await promisify(execFile)(
      'bash',
      ['--norc', '--noprofile', '-u', '-c', script],
      { env, cwd },
    );
    expect(stderr).toBe('');
    return stdout;
  }

  async function runExample(example: CurlExample): Promise<unknown> {
    const output: unknown = JSON.parse(await runScript(example));
    if (example.documentedOutput !== null) {
      // The README abbreviates with ", ..."; everything it does show must be in the output.
      expect(output).toMatchObject(JSON.parse(example.documentedOutput.replace(/, \.\.\./g, '')));
    }
    return output;
  }

  const checks: Record<string, (output: unknown) => Promise<void>> = {
    CreateCheckoutBoard: async (output) => {
      const board = (output as { data: { createBoard: { id: string } } }).data.createBoard;
      expect(output).toEqual({ data: { createBoard: { id: board.id, name: 'Checkout' } } });
    },
    CreateCheckoutMonitor: async (output) => {
      const monitor = (output as { data: { createMonitor: { id: string } } }).data.createMonitor;
      expect(output).toEqual({ data: { createMonitor: { id: monitor.id, status: 'UNKNOWN' } } });
      expect(
        await app.services.db.reader.countBy(Monitor, { id: monitor.id, boardId: fixture.boardId }),
      ).toBe(1);
    },
    CreateOpsBoard: async (output) => {
      const board = (output as { data: { createBoard: { id: string; name: string } } }).data
        .createBoard;
      expect(output).toEqual({ data: { createBoard: { id: board.id, name: 'Ops' } } });
      // The retry with the same key gets the same answer, and the board exists once.
      const example = CURL_EXAMPLES.find((e) => e.operation === 'CreateOpsBoard');
      expect(await runExample(example as CurlExample)).toMatchObject(output as object);
      expect(
        await app.services.db.reader.countBy(Board, {
          organizationId: app.organization.id,
          name: 'Ops',
        }),
      ).toBe(1);
    },
    viewer: async (output) => {
      expect(output).toEqual({
        data: { viewer: { permission: 'FULL_ACCESS', organization: { name: 'Acme' } } },
      });
    },
    createApiToken: async (output) => {
      const created = (
        output as { data: { createApiToken: { secret: string; token: { id: string } } } }
      ).data.createApiToken;
      expect(created.secret).toMatch(/^sgp_[0-9A-Za-z]{36}$/);
      expect(created.token).toEqual({
        id: expect.any(String),
        prefix: created.secret.slice(0, 12),
      });
      const stored = await app.services.db.reader.findOneBy(ApiToken, { id: created.token.id });
      expect(stored).toMatchObject({ name: 'Wall board', permission: 'READ_ONLY' });
      // The printed secret is the new token's: it reads, as read-only.
      const viewer = await app
        .client(created.secret)
        .data<{ viewer: { permission: string } }>('{ viewer { permission } }');
      expect(viewer.viewer.permission).toBe('READ_ONLY');
    },
    boards: async (output) => {
      const boards = await app.services.db.reader.find(Board, {
        where: { organizationId: app.organization.id },
        order: { createdAt: 'ASC', id: 'ASC' },
      });
      expect(boards.length).toBeGreaterThan(1);
      expect(output).toEqual({
        data: {
          boards: {
            nodes: boards.map(({ id, name }) => ({ id, name })),
            pageInfo: { hasNextPage: false, endCursor: expect.any(String) },
          },
        },
      });
    },
    createBoard: async (output) => {
      expect(output).toEqual({
        data: null,
        errors: [
          expect.objectContaining({
            message: FORBIDDEN_MESSAGE,
            extensions: expect.objectContaining({
              code: 'FORBIDDEN',
              requiredPermission: 'FULL_ACCESS',
            }),
          }),
        ],
      });
      expect(
        await app.services.db.reader.countBy(Board, {
          organizationId: app.organization.id,
          name: 'Ops',
        }),
      ).toBe(0);
    },
    incidents: async (output) => {
      const expected = await liveIncidents(app);
      const { nodes, pageInfo } = (
        output as {
          data: {
            incidents: {
              nodes: { id: string; board: { name: string }; monitors: unknown[] }[];
              pageInfo: { hasNextPage: boolean };
            };
          };
        }
      ).data.incidents;
      expect(expected.length).toBeGreaterThan(10);
      expect(nodes.map((node) => node.id).sort()).toEqual(expected.map(({ id }) => id).sort());
      expect(pageInfo.hasNextPage).toBe(false);
      expect(nodes.every((node) => node.board.name.length > 0)).toBe(true);
    },
    setMonitorStatus: async (output) => {
      const id = (output as { data: { createIncident: { id: string } } }).data.createIncident.id;
      expect(output).toEqual({
        data: {
          setMonitorStatus: { status: 'DOWN' },
          createIncident: { id, phase: 'INVESTIGATING' },
        },
      });
      const monitor = await app.services.db.reader.findOneBy(Monitor, { id: fixture.monitorId });
      expect(monitor?.status).toBe('DOWN');
      const incident = await app.services.db.reader.findOneBy(Incident, { id });
      expect(incident).toMatchObject({ boardId: fixture.boardId, name: 'Checkout errors' });
      const links = await app.services.db.reader.findBy(IncidentMonitor, { incidentId: id });
      expect(links.map((link) => link.monitorId)).toEqual([fixture.monitorId]);
    },
  };

  it('finds exactly the documented curl examples, each with a check', () => {
    expect(CURL_EXAMPLES.map((example) => example.operation).sort()).toEqual(
      [...Object.keys(checks), 'exports'].sort(),
    );
    // The shell variables the examples use, as the scanner sees them (and environment() sets).
    const used = new Set(CURL_EXAMPLES.flatMap((example) => shellVariables(example.script)));
    expect([...used].sort()).toEqual([
      'BOARD_ID',
      'MONITOR_ID',
      'READ_ONLY_TOKEN',
      'STATUSGRAPH_TOKEN',
    ]);
  });

  it('README example exports writes the rows the GraphQL lists hold', async () => {
    const example = CURL_EXAMPLES.find((e) => e.operation === 'exports') as CurlExample;
    const dir = mkdtempSync(join(tmpdir(), 'statusgraph-readme-exports-'));
    try {
      expect(await runScript(example, dir)).toBe('');
      const read = (file: string) => readFileSync(join(dir, file), 'utf8');
      const lists = await app.data<{
        all: { totalCount: number };
        major: { totalCount: number };
        monitor: { statusEvents: { totalCount: number } };
      }>(
        `query($monitorId: ID!) {
          all: incidents(first: 0) { totalCount }
          major: incidents(first: 0, filter: { severity: MAJOR, startedAfter: "2026-01-01T00:00:00Z" }) { totalCount }
          monitor(id: $monitorId) { statusEvents(first: 0) { totalCount } }
        }`,
        { monitorId: fixture.monitorId },
        app.identities.readOnly.secret,
      );
      const csvRows = (text: string) => text.split('\r\n').filter((line) => line !== '');
      const incidents = csvRows(read('incidents.csv'));
      expect(incidents[0]).toMatch(/^id,/);
      // Demo incident names hold no line breaks: one line a row after the header.
      expect(incidents).toHaveLength(1 + lists.all.totalCount);
      const major = read('major.ndjson')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { severity: string; startedAt: string });
      expect(lists.major.totalCount).toBeGreaterThan(0);
      expect(major).toHaveLength(lists.major.totalCount);
      expect(major.every((row) => row.severity === 'MAJOR')).toBe(true);
      const history = csvRows(read('history.csv'));
      expect(history[0]).toMatch(/^id,/);
      expect(history).toHaveLength(1 + lists.monitor.statusEvents.totalCount);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(
    CURL_EXAMPLES.filter((example) => example.operation !== 'exports').map(
      (example) => [example.operation, example] as const,
    ),
  )('README example %s prints its documented result', async (_operation, example) => {
    const check = checks[example.operation];
    expect(check).toBeDefined();
    // Every answer carries its cost (API.md section 9); the checks are about the rest.
    const { extensions, ...output } = (await runExample(example)) as {
      extensions?: { cost?: unknown };
    };
    expect(extensions?.cost).toMatchObject({ requestedQueryCost: expect.any(Number) });
    await check(output);
  });
});
