import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  printSchema,
} from 'graphql';
import { AuditEvent, AuditOutcome } from '../../src/audit/audit-event.entity';
import { RULES } from '../../src/auth/permissions';
import { AUDIT_TARGET_TYPES, RESOLVERS } from '../../src/app';
import { buildBareSchema } from '../../src/server/schema';
import { generateSecret } from '../../src/tokens/secret';
import { IncidentSeverity } from '../../src/incidents/incident-enums';
import { MonitorType } from '../../src/monitors/monitor-enums';
import { TokenPermission } from '../../src/tokens/token-permission';
import { scopedToken } from '../helpers/scope-fixture';
import { SCHEMA } from '../helpers/sync-schema';
import { TestApp } from '../helpers/test-app';

const MUTATIONS = SCHEMA.getMutationType()?.getFields() ?? {};
const QUERIES = SCHEMA.getQueryType()?.getFields() ?? {};
const ROOTS = [SCHEMA.getQueryType()?.name, SCHEMA.getMutationType()?.name];

/** API.md section 3, word for word: the message, and the object fields only FULL_ACCESS reads. */
const READ_ONLY_MESSAGE =
  'This operation requires a full-access API token; this token is read-only.';
const SCOPED_MESSAGE =
  'This operation requires an organization-wide API token; this token is limited to some boards.';
const SCOPED_READ_ONLY_MESSAGE =
  'This operation requires an organization-wide, full-access API token; this token is read-only and limited to some boards.';
const CONTRACT_RULED_FIELDS = [
  'Monitor.requestHeaders',
  'ApiToken.lastUsedIp',
  'ApiToken.lastUsedUserAgent',
  'AuditEvent.ip',
];
const RULED_FIELDS = Object.entries(RULES)
  .filter(([type]) => !ROOTS.includes(type))
  .flatMap(([type, fields]) => Object.keys(fields).map((field) => `${type}.${field}`));
const LAST_USE_COLUMNS = ['last_used_at', 'last_used_ip', 'last_used_user_agent'];

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Row = Record<string, unknown>;
type IdFor = (argName: string) => Promise<string>;

function teach(what: string): never {
  throw new Error(
    `The permission-matrix generator does not know ${what}; teach it in ` +
      'test/api/permission-matrix.test.ts, so that no field escapes the matrix.',
  );
}

/**
 * Fresh objects of the test organization, one per ID argument of a case; on `board` when given
 * (a scoped token's board), else on a board of their own.
 */
const FRESH: Record<string, (app: TestApp, board?: string) => Promise<string>> = {
  ApiToken: async (app) =>
    (await app.createToken('matrix target', TokenPermission.FULL_ACCESS)).token.id,
  Board: async (app, board) =>
    board ?? (await app.services.boards.create(app.systemActor(), { name: 'Matrix target' })).id,
  Monitor: async (app, board) =>
    (
      await app.services.monitors.create(app.systemActor(), {
        boardId: await FRESH.Board(app, board),
        displayName: 'Matrix target',
        monitorType: MonitorType.CUSTOM,
      })
    ).id,
  Incident: async (app, board) =>
    (
      await app.services.incidents.create(app.systemActor(), {
        boardId: await FRESH.Board(app, board),
        name: 'Matrix target',
        severity: IncidentSeverity.MINOR,
      })
    ).id,
};

/** Enum values whose first value would need further fields (a SERVICE monitor needs serviceName). */
const PREFERRED_ENUM_VALUES: Record<string, string> = { MonitorType: MonitorType.CUSTOM };

/** What an ID argument refers to: `id` by the field's name (as the audit log does), `boardId` by its own. */
function targetOf(argName: string, owner: string): string | undefined {
  const hint = (argName === 'id' ? owner : argName.replace(/Id$/, '')).toLowerCase();
  return Object.keys(FRESH).find((type) => hint.includes(type.toLowerCase()));
}

/** A valid value of an argument type; input objects get their required fields, recursively. */
async function valueFor(type: GraphQLInputType, path: string[], idFor: IdFor): Promise<Json> {
  if (isNonNullType(type)) {
    return valueFor(type.ofType, path, idFor);
  }
  if (isListType(type)) {
    return [await valueFor(type.ofType, path, idFor)];
  }
  if (isEnumType(type)) {
    return PREFERRED_ENUM_VALUES[type.name] ?? type.getValues()[0].name;
  }
  if (isInputObjectType(type)) {
    const value: Record<string, Json> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) {
        value[field.name] = await valueFor(field.type, [...path, field.name], idFor);
      }
    }
    return value;
  }
  switch (type.name) {
    case 'String':
      // queryCost estimates a document: it needs one.
      return path.join('.') === 'queryCost.query' ? '{ viewer { permission } }' : 'Matrix name';
    case 'Int':
      return 0;
    case 'Boolean':
      return true;
    case 'DateTime':
      return new Date(Date.now() + 86_400_000).toISOString();
    case 'ID':
      return idFor(path[path.length - 1]);
  }
  return teach(`a value for the argument type ${type.name} (${path.join('.')})`);
}

/** `kind Matrix($a: T!) { field(a: $a) { __typename } }`, with its required arguments generated. */
async function operationFor(
  kind: 'query' | 'mutation',
  field: GraphQLField<unknown, unknown>,
  idFor: IdFor,
): Promise<{ query: string; variables: Record<string, Json> }> {
  const args = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const variables: Record<string, Json> = {};
  for (const arg of args) {
    variables[arg.name] = await valueFor(arg.type, [field.name, arg.name], idFor);
  }
  const defs = args.length ? `(${args.map((a) => `$${a.name}: ${String(a.type)}`).join()})` : '';
  const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join()})` : '';
  const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
  return { query: `${kind} Matrix${defs} { ${field.name}${call}${selection} }`, variables };
}

/** A stored value as both drivers compare it: timestamps (a Date or SQLite's text) as ISO text. */
function normalised(value: unknown): unknown {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) {
    return new Date(`${value.replace(' ', 'T')}Z`).toISOString();
  }
  return value;
}

/** Every table but the audit log, without last-use columns; optionally without one organization's rows. */
async function snapshot(app: TestApp, except?: string): Promise<Record<string, Row[]>> {
  const { reader, dataSource } = app.services.db;
  const tables = dataSource.entityMetadatas
    .map((m) => ({ name: m.tableName, columns: m.columns.map((c) => c.databaseName) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  expect(tables.map((t) => t.name)).toEqual(
    expect.arrayContaining(['api_token', 'audit_event', 'board', 'organization']),
  );
  const result: Record<string, Row[]> = {};
  for (const { name, columns } of tables.filter((t) => t.name !== 'audit_event')) {
    // Every column in the order, so that both databases give one and the same row order.
    const order = columns.map((column) => `"${column}"`).join(', ');
    const rows: Row[] = await reader.query(`SELECT * FROM "${name}" ORDER BY ${order}`);
    const owner = name === 'organization' ? 'id' : 'organization_id';
    result[name] = rows
      .filter((row) => !except || row[owner] !== except)
      .map((row) =>
        Object.fromEntries(
          Object.entries(row)
            .filter(([column]) => name !== 'api_token' || !LAST_USE_COLUMNS.includes(column))
            .map(([column, value]) => [column, normalised(value)]),
        ),
      );
  }
  return result;
}

const rowCount = (tables: Record<string, Row[]>) =>
  Object.values(tables).reduce((sum, rows) => sum + rows.length, 0);

/** The identities of the matrix; those authentication refuses carry their 401 reason. */
const CALLERS: Record<string, { secret: (app: TestApp) => string | undefined; reason?: string }> = {
  FULL_ACCESS: { secret: (app) => app.identities.full.secret },
  READ_ONLY: { secret: (app) => app.identities.readOnly.secret },
  expired: { secret: (app) => app.identities.expired.secret, reason: 'EXPIRED' },
  inactive: { secret: (app) => app.identities.inactive.secret, reason: 'INACTIVE' },
  revoked: { secret: (app) => app.identities.revoked.secret, reason: 'REVOKED' },
  // The right shape with a wrong checksum: refused without a database look-up.
  malformed: {
    secret: (app) => app.identities.full.secret.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
    reason: 'MALFORMED',
  },
  unknown: { secret: () => generateSecret(), reason: 'UNKNOWN' },
  missing: { secret: () => undefined, reason: 'MISSING' },
};
const OTHER_ORGANIZATION = 'other organization';

/**
 * Board-scoped tokens (API.md section 11), made for each case and limited to one board: the
 * case's objects on it (`inside`), or on other boards.
 */
const SCOPED: Record<string, { permission: TokenPermission; inside: boolean }> = {
  'scoped FULL_ACCESS': { permission: TokenPermission.FULL_ACCESS, inside: true },
  'scoped READ_ONLY': { permission: TokenPermission.READ_ONLY, inside: true },
  'scoped FULL_ACCESS, outside its board': {
    permission: TokenPermission.FULL_ACCESS,
    inside: false,
  },
  'scoped READ_ONLY, outside its board': { permission: TokenPermission.READ_ONLY, inside: false },
};
type Identity = keyof typeof CALLERS | typeof OTHER_ORGANIZATION | keyof typeof SCOPED;

/**
 * What a request gets: CHANGED (the change is made), FORBIDDEN (read-only: nothing changes, a
 * DENIED event), UNAUTHENTICATED (401 with the identity's reason, not audited), NOT_FOUND (another
 * organization's id is an unknown id, never FORBIDDEN), CHANGED_THERE (a create by another
 * organization happens there, and nowhere else).
 */
type Outcome =
  | 'CHANGED'
  | 'FORBIDDEN'
  | 'FORBIDDEN_SCOPE'
  | 'FORBIDDEN_SCOPE_AND_PERMISSION'
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'CHANGED_THERE';

/** What each FORBIDDEN says is missing (API.md sections 3 and 11), word for word. */
const FORBIDDEN_AS: Partial<Record<Outcome, { message: string; extensions: object }>> = {
  FORBIDDEN: {
    message: READ_ONLY_MESSAGE,
    extensions: { code: 'FORBIDDEN', requiredPermission: 'FULL_ACCESS' },
  },
  FORBIDDEN_SCOPE: {
    message: SCOPED_MESSAGE,
    extensions: { code: 'FORBIDDEN', requiredScope: 'ORGANIZATION' },
  },
  FORBIDDEN_SCOPE_AND_PERMISSION: {
    message: SCOPED_READ_ONLY_MESSAGE,
    extensions: {
      code: 'FORBIDDEN',
      requiredScope: 'ORGANIZATION',
      requiredPermission: 'FULL_ACCESS',
    },
  },
};

const REFUSED_BY_AUTHENTICATION = {
  expired: 'UNAUTHENTICATED',
  inactive: 'UNAUTHENTICATED',
  revoked: 'UNAUTHENTICATED',
  malformed: 'UNAUTHENTICATED',
  unknown: 'UNAUTHENTICATED',
  missing: 'UNAUTHENTICATED',
} as const;
/** Organization-level changes (boards, tokens): a scoped token lacks the scope, whatever the object. */
const SCOPED_ORGANIZATION_LEVEL = {
  'scoped FULL_ACCESS': 'FORBIDDEN_SCOPE',
  'scoped READ_ONLY': 'FORBIDDEN_SCOPE_AND_PERMISSION',
  'scoped FULL_ACCESS, outside its board': 'FORBIDDEN_SCOPE',
  'scoped READ_ONLY, outside its board': 'FORBIDDEN_SCOPE_AND_PERMISSION',
} as const;
/** A mutation that names no existing object: another organization makes it in its own. */
const CREATES: Record<Identity, Outcome> = {
  FULL_ACCESS: 'CHANGED',
  READ_ONLY: 'FORBIDDEN',
  ...REFUSED_BY_AUTHENTICATION,
  [OTHER_ORGANIZATION]: 'CHANGED_THERE',
  ...SCOPED_ORGANIZATION_LEVEL,
};
/** An organization-level mutation that names an existing object (a board, a token). */
const CHANGES: Record<Identity, Outcome> = { ...CREATES, [OTHER_ORGANIZATION]: 'NOT_FOUND' };
/**
 * A mutation on what hangs off a board (monitors, incidents, a board they are made on): a scoped
 * FULL_ACCESS token makes it on its board; outside its board the object is unknown.
 */
const BOARD_CHANGES: Record<Identity, Outcome> = {
  ...CHANGES,
  'scoped FULL_ACCESS': 'CHANGED',
  'scoped READ_ONLY': 'FORBIDDEN',
  'scoped FULL_ACCESS, outside its board': 'NOT_FOUND',
  'scoped READ_ONLY, outside its board': 'FORBIDDEN',
};

/**
 * The matrix, mutation × identity → outcome. The cases are generated from every Mutation field of
 * the schema; a field missing here fails, so a new mutation cannot escape the matrix.
 */
const EXPECTED: Record<string, Record<Identity, Outcome>> = {
  createApiToken: CREATES,
  updateApiToken: CHANGES,
  activateApiToken: CHANGES,
  deactivateApiToken: CHANGES,
  revokeApiToken: CHANGES,
  rotateApiToken: CHANGES,
  createBoard: CREATES,
  updateBoard: CHANGES,
  deleteBoard: CHANGES,
  createMonitor: BOARD_CHANGES,
  updateMonitor: BOARD_CHANGES,
  pauseMonitor: BOARD_CHANGES,
  resumeMonitor: BOARD_CHANGES,
  setMonitorStatus: BOARD_CHANGES,
  deleteMonitor: BOARD_CHANGES,
  createIncident: BOARD_CHANGES,
  updateIncident: BOARD_CHANGES,
  addIncidentUpdate: BOARD_CHANGES,
  resolveIncident: BOARD_CHANGES,
  deleteIncident: BOARD_CHANGES,
};

it('generates the cases from the schema the server is built from', async () => {
  const bare = await buildBareSchema({ resolvers: RESOLVERS, get: () => undefined });
  expect(printSchema(SCHEMA)).toBe(printSchema(bare));
  expect(Object.keys(MUTATIONS)).not.toEqual([]);
  expect(Object.keys(QUERIES)).not.toEqual([]);
});

it('declares an outcome for every mutation of the schema, and none besides', () => {
  expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(MUTATIONS).sort());
});

it('can make a fresh object of every type the features say their mutations target', () => {
  const targeted = AUDIT_TARGET_TYPES.filter((type) =>
    Object.keys(MUTATIONS).some((name) => name.includes(type)),
  );
  expect(Object.keys(FRESH).sort()).toEqual([...targeted].sort());
});

describe.each(Object.keys(MUTATIONS))('Mutation.%s', (name) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.close());

  it.each([...Object.keys(CALLERS), OTHER_ORGANIZATION, ...Object.keys(SCOPED)])(
    'as %s',
    async (caller) => {
      const outcome =
        EXPECTED[name]?.[caller as Identity] ?? teach(`the outcome of ${name} as ${caller}`);
      const other = caller === OTHER_ORGANIZATION ? await app.otherOrganization() : undefined;
      const scoped = SCOPED[caller];
      const scopeBoard = scoped ? await FRESH.Board(app) : undefined;
      const scopedIdentity =
        scoped && scopeBoard
          ? await scopedToken(app, caller, scoped.permission, [scopeBoard])
          : undefined;
      const secret = other
        ? other.identity.secret
        : (scopedIdentity?.secret ?? CALLERS[caller].secret(app));
      const targets: string[] = [];
      const { query, variables } = await operationFor('mutation', MUTATIONS[name], async (arg) => {
        const type = targetOf(arg, name) ?? teach(`what the ID argument ${arg} of ${name} is`);
        targets.push(await FRESH[type](app, scoped?.inside ? scopeBoard : undefined));
        return targets[targets.length - 1];
      });
      const { reader } = app.services.db;
      const denied = {
        action: name,
        outcome: AuditOutcome.DENIED,
        tokenId: (scopedIdentity ?? app.identities.readOnly).token.id,
        ...(typeof variables.id === 'string' ? { targetId: variables.id } : {}),
      };
      const deniedBefore = await reader.countBy(AuditEvent, denied);
      const eventsBefore = await reader.count(AuditEvent);
      const before = await snapshot(app);
      const mine = await snapshot(app, other?.organization.id);

      const response = await app.client(secret).request(query, variables);

      const reason = CALLERS[caller]?.reason;
      switch (outcome) {
        case 'CHANGED':
          expect(response.errors).toBeUndefined();
          expect(response.status).toBe(200);
          expect(response.data?.[name] ?? null).not.toBeNull();
          break;
        case 'FORBIDDEN':
        case 'FORBIDDEN_SCOPE':
        case 'FORBIDDEN_SCOPE_AND_PERMISSION': {
          expect(response.status).toBe(200);
          expect(response.errors).toHaveLength(1);
          const { message, extensions } = FORBIDDEN_AS[outcome] ?? teach(outcome);
          expect(response.errors?.[0]).toMatchObject({ message, path: [name] });
          // Exactly what is missing: no requirement the token meets is named.
          expect(response.errors?.[0].extensions).toEqual(extensions);
          expect(await snapshot(app)).toEqual(before);
          expect(await reader.countBy(AuditEvent, denied)).toBe(deniedBefore + 1);
          break;
        }
        case 'UNAUTHENTICATED':
          expect(response.status).toBe(401);
          expect(response.headers.get('www-authenticate')).toBe('Bearer');
          expect(response.errors?.[0]?.extensions).toMatchObject({
            code: 'UNAUTHENTICATED',
            reason,
          });
          expect(await snapshot(app)).toEqual(before);
          // Refused before execution: counted in metrics, not audited.
          expect(await reader.count(AuditEvent)).toBe(eventsBefore);
          break;
        case 'NOT_FOUND':
          expect(targets).not.toEqual([]);
          expect(response.status).toBe(200);
          expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
          expect(await snapshot(app)).toEqual(before);
          break;
        case 'CHANGED_THERE': {
          expect(other).toBeDefined();
          expect(response.errors).toBeUndefined();
          expect(response.data?.[name] ?? null).not.toBeNull();
          expect(await snapshot(app, other?.organization.id)).toEqual(mine);
          const otherRows = (tables: Record<string, Row[]>) => rowCount(tables) - rowCount(mine);
          expect(otherRows(await snapshot(app))).toBeGreaterThan(otherRows(before));
          break;
        }
      }
    },
  );
});

describe('every Query field is open to a READ_ONLY token', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.close());

  it.each(Object.keys(QUERIES))('Query.%s', async (name) => {
    const field = QUERIES[name];
    const ids: (string | null)[] = [];
    const { query, variables } = await operationFor('query', field, async (arg) => {
      const type = targetOf(arg, getNamedType(field.type).name);
      ids.push(type ? await FRESH[type](app) : null);
      return ids[ids.length - 1] ?? 'no such id';
    });

    const response = await app.asReadOnly().request(query, variables);

    expect(response.errors).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.data).toHaveProperty(name);
    if (ids.length > 0) {
      // An existing id gives its object; any other string gives null.
      expect(response.data?.[name] === null).toBe(ids.includes(null));
    }
  });
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The objects found at `path` in the data, lists flattened. */
function objectsAt(data: unknown, path: string[]): Record<string, unknown>[] {
  let found: unknown[] = [data];
  for (const key of path) {
    found = found.flatMap((value) => (isRecord(value) ? [value[key]].flat() : []));
  }
  return found.filter(isRecord);
}

/** Every path (breadth first, up to 3 deep) from Query to `Type.field`, through argument-free fields. */
function pathsTo(ruled: string): { path: string[]; owner: GraphQLObjectType }[] {
  const [typeName, fieldName] = ruled.split('.');
  const query = SCHEMA.getQueryType();
  const queue = query ? [{ type: query, path: [] as string[], seen: [query.name] }] : [];
  const found: { path: string[]; owner: GraphQLObjectType }[] = [];
  for (const { type, path, seen } of queue) {
    if (type.name === typeName) {
      found.push({ path: [...path, fieldName], owner: type });
      continue;
    }
    for (const field of Object.values(type.getFields())) {
      const next = getNamedType(field.type);
      const open = field.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined);
      if (open && isObjectType(next) && !seen.includes(next.name) && path.length < 3) {
        queue.push({ type: next, path: [...path, field.name], seen: [...seen, next.name] });
      }
    }
  }
  return found;
}

describe('field rules', () => {
  it('rule exactly the fields API.md section 3 lists, for the types in the schema', () => {
    const expected = CONTRACT_RULED_FIELDS.filter((f) => SCHEMA.getType(f.split('.')[0]));
    expect([...RULED_FIELDS].sort()).toEqual([...expected].sort());
    for (const ruled of expected) {
      const [typeName, fieldName] = ruled.split('.');
      const type = SCHEMA.getType(typeName);
      expect(isObjectType(type) ? Object.keys(type.getFields()) : []).toContain(fieldName);
      expect(RULED_FIELDS).toContain(ruled);
      expect(pathsTo(ruled)).not.toEqual([]);
    }
  });

  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
    // Use the API first, so that last uses and audit events with an ip exist.
    const { createBoard } = await app
      .asFullAccess()
      .data<{ createBoard: { id: string } }>(
        'mutation { createBoard(input: { name: "Used" }) { id } }',
      );
    await app.asReadOnly().data('{ viewer { permission } }');
    // A website monitor with headers, in an incident and with a status event, reaches every path.
    const { createMonitor } = await app.asFullAccess().data<{ createMonitor: { id: string } }>(
      `mutation($board: ID!) {
        createMonitor(input: { boardId: $board, displayName: "Shop", monitorType: WEBSITE,
          url: "https://shop.example", requestHeaders: [{ name: "Authorization", value: "Basic c2hvcA==" }] }) { id }
      }`,
      { board: createBoard.id },
    );
    await app.asFullAccess().data(
      `mutation($board: ID!, $monitor: ID!) {
        setMonitorStatus(id: $monitor, status: DOWN) { id }
        createIncident(input: { boardId: $board, name: "Shop down", severity: MAJOR, monitorIds: [$monitor] }) { id }
      }`,
      { board: createBoard.id, monitor: createMonitor.id },
    );
  });
  afterAll(() => app.close());

  const cases = RULED_FIELDS.flatMap((ruled) =>
    pathsTo(ruled).map(({ path, owner }) => [path.join('.'), path, owner] as const),
  );
  it.each(cases)('%s: READ_ONLY gets null and FORBIDDEN there', async (_, path, owner) => {
    const fieldName = path[path.length - 1];
    const { query, siblings } = selectionOf(path, owner);

    const full = await app.asFullAccess().request(query);
    expect(full.errors).toBeUndefined();
    const fullObjects = objectsAt(full.data, path.slice(0, -1));
    expect(fullObjects.some((o) => (o[fieldName] ?? null) !== null)).toBe(true);

    const readOnly = await app.asReadOnly().request(query);
    expect(readOnly.status).toBe(200);
    const objects = objectsAt(readOnly.data, path.slice(0, -1));
    expect(objects).not.toEqual([]);
    expect(readOnly.errors).toHaveLength(objects.length);
    for (const error of readOnly.errors ?? []) {
      expect(error.path?.[error.path.length - 1]).toBe(fieldName);
      expect(error.extensions).toMatchObject({
        code: 'FORBIDDEN',
        requiredPermission: 'FULL_ACCESS',
      });
    }
    for (const object of objects) {
      expect(object[fieldName]).toBeNull();
      for (const sibling of siblings) {
        expect(object).toHaveProperty(sibling.name);
        if (isNonNullType(sibling.type)) {
          expect(object[sibling.name]).not.toBeNull();
        }
      }
    }
  });
});

/** A query down `path` that selects the ruled field and its unruled leaf siblings. */
function selectionOf(path: readonly string[], owner: GraphQLObjectType) {
  const fieldName = path[path.length - 1];
  const siblings = Object.values(owner.getFields()).filter(
    (f) =>
      !RULED_FIELDS.includes(`${owner.name}.${f.name}`) &&
      isLeafType(getNamedType(f.type)) &&
      f.args.length === 0,
  );
  const leaf = isLeafType(getNamedType(owner.getFields()[fieldName].type));
  const inner = [fieldName + (leaf ? '' : ' { __typename }'), ...siblings.map((f) => f.name)];
  const query = path.slice(0, -1).reduceRight((sel, key) => `${key} { ${sel} }`, inner.join(' '));
  return { query: `{ ${query} }`, siblings };
}

describe('errors thrown behind shield keep their own code', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.close());

  const byId = Object.keys(MUTATIONS).filter((n) => MUTATIONS[n].args.some((a) => a.name === 'id'));
  it.each(byId)('FULL_ACCESS %s(id: "nope") is NOT_FOUND', async (name) => {
    const { query, variables } = await operationFor(
      'mutation',
      MUTATIONS[name],
      async () => 'nope',
    );

    const response = await app.asFullAccess().request(query, variables);

    expect(response.status).toBe(200);
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(response.errors?.[0].message).not.toMatch(/Not Authori[sz]ed/i);
  });

  it('READ_ONLY apiTokens(first: 5000) is BAD_USER_INPUT', async () => {
    const response = await app.asReadOnly().request('{ apiTokens(first: 5000) { totalCount } }');

    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});
