import {
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { RULES } from '../../src/auth/permissions';
import { TokenPermission } from '../../src/tokens/token-permission';
import { type BoardData, scopedToken, seedBoard, typedIds } from '../helpers/scope-fixture';
import type { Identity } from '../helpers/test-app';
import { SCHEMA } from '../helpers/sync-schema';
import { TestApp } from '../helpers/test-app';

/**
 * The read matrix of board-scoped tokens (API.md section 11), generated from the schema: every
 * path from a Query field down through object fields (no type twice on a path) is asked for, with
 * every leaf field on the way, by a token limited to board A, by one whose only board was deleted,
 * and by an organization-wide token. A scoped token must never receive an object of board B (nor
 * another token, nor an audit event), every `totalCount` must count what it lists, and the
 * organization-wide token must reach every kind of B's objects through the same documents, so
 * that the check can fail. A Query field missing from READS fails the build.
 */

const QUERY = SCHEMA.getQueryType() as GraphQLObjectType;
const QUERIES = QUERY.getFields();

/** Object fields only FULL_ACCESS reads: a READ_ONLY token gets null and FORBIDDEN there. */
const RULED_FIELDS = Object.entries(RULES)
  .filter(([type]) => type !== 'Query' && type !== 'Mutation')
  .flatMap(([type, fields]) => Object.keys(fields).map((field) => `${type}.${field}`));

/**
 * What a board-scoped token gets from each Query field: BOARDS (what hangs off its boards only),
 * ITSELF (its own token only), ORGANIZATION (FORBIDDEN, requiredScope ORGANIZATION: organization-
 * level data), NO_BOARD_DATA (nothing that belongs to a board or another token).
 */
type ScopedRead = 'BOARDS' | 'ITSELF' | 'ORGANIZATION' | 'NO_BOARD_DATA';
const READS: Record<string, ScopedRead> = {
  viewer: 'ITSELF',
  apiToken: 'ITSELF',
  apiTokens: 'ORGANIZATION',
  auditEvents: 'ORGANIZATION',
  boards: 'BOARDS',
  board: 'BOARDS',
  monitors: 'BOARDS',
  monitor: 'BOARDS',
  statusEvents: 'BOARDS',
  incidents: 'BOARDS',
  incident: 'BOARDS',
  rateLimit: 'NO_BOARD_DATA',
  queryCost: 'NO_BOARD_DATA',
};

/** Values of root arguments that are neither ids nor filters. */
const ROOT_VALUES: Record<string, Record<string, unknown>> = {
  // The document whose cost is estimated: one that would read both boards, were it run.
  queryCost: { query: '{ boards { nodes { id monitors { nodes { id } } } } }' },
};

/** How deep a path goes, in object fields from Query (connection and edge types count). */
const MAX_DEPTH = 6;

interface Path {
  /** Field names from Query. */
  fields: string[];
  /** The object type at each step (Query first). */
  types: GraphQLObjectType[];
}

function requiredArgs(field: GraphQLField<unknown, unknown>) {
  return field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
}

/** Every path from Query through object fields, no type twice on one path. */
function allPaths(): Path[] {
  const paths: Path[] = [];
  const queue: Path[] = Object.values(QUERIES)
    .filter((f) => isObjectType(getNamedType(f.type)))
    .map((f) => ({ fields: [f.name], types: [QUERY, getNamedType(f.type) as GraphQLObjectType] }));
  for (const path of queue) {
    paths.push(path);
    const type = path.types[path.types.length - 1];
    if (path.fields.length >= MAX_DEPTH) {
      continue;
    }
    for (const field of Object.values(type.getFields())) {
      const next = getNamedType(field.type);
      if (isObjectType(next) && !path.types.includes(next)) {
        queue.push({ fields: [...path.fields, field.name], types: [...path.types, next] });
      }
    }
  }
  // Only the longest ones: a path's prefixes are asked for with it.
  const key = (p: Path) => p.fields.join('.');
  const prefixes = new Set(
    paths.flatMap((p) =>
      p.fields.slice(1).map((_, i) => key({ ...p, fields: p.fields.slice(0, i + 1) })),
    ),
  );
  return paths.filter((p) => !prefixes.has(key(p)));
}

const PATHS = allPaths();

/** A literal for a required argument of a nested field (roots get variables). */
function literalFor(type: GraphQLInputType, where: string): string {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isScalarType(inner) && inner.name === 'DateTime') {
    return '"2000-01-01T00:00:00.000Z"';
  }
  if (isEnumType(inner)) {
    return inner.getValues()[0].name;
  }
  throw new Error(
    `The read matrix does not know a value for ${where}; teach it in ${__filename}, so that no field escapes it.`,
  );
}

/** Leaf fields of a type without required arguments, and the walked field names. */
function leavesOf(type: GraphQLObjectType): string[] {
  return Object.values(type.getFields())
    .filter((f) => isLeafType(getNamedType(f.type)))
    .map((f) => {
      const args = requiredArgs(f);
      return args.length === 0
        ? f.name
        : `${f.name}(${args.map((a) => `${a.name}: ${literalFor(a.type, `${type.name}.${f.name}(${a.name})`)}`).join(', ')})`;
    });
}

/** Variables of a root field's required arguments, and its `filter` argument if asked. */
interface RootArgs {
  variables: Record<string, unknown>;
  definitions: string;
  call: string[];
}

/** The page size asked for on every list: more than any list of the fixture holds. */
const PAGE = 5;

function rootArgs(root: GraphQLField<unknown, unknown>, values: Record<string, unknown>): RootArgs {
  const args = root.args.filter((a) => a.name in values);
  return {
    variables: values,
    definitions: args.length
      ? `(${args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ')})`
      : '',
    call: args.map((a) => `${a.name}: $${a.name}`),
  };
}

/** The document of a path: at every step its leaves, then the next step. */
function documentOf(path: Path, args: RootArgs): string {
  let selection = '';
  for (let i = path.fields.length - 1; i >= 0; i--) {
    const type = path.types[i + 1];
    const field = path.types[i].getFields()[path.fields[i]];
    const owner = `${path.types[i].name}.${field.name}`;
    const literals = [
      ...(i === 0 ? [] : requiredArgs(field)).map(
        (a) => `${a.name}: ${literalFor(a.type, `${owner}(${a.name})`)}`,
      ),
      // Lists under lists stay within the cost limit; the fixture has fewer rows than this.
      ...(field.args.some((a) => a.name === 'first') ? [`first: ${PAGE}`] : []),
    ];
    const all = i === 0 ? [...args.call, ...literals] : literals;
    const call = all.length ? `(${all.join(', ')})` : '';
    selection = `${path.fields[i]}${call} { __typename ${leavesOf(type).join(' ')} ${selection} }`;
  }
  return `query Read${args.definitions} { ${selection} }`;
}

/** Every field a path document asks for, as `Type.field`. */
function fieldsOf(path: Path): string[] {
  return path.types.slice(1).flatMap((type, i) => [
    `${path.types[i].name}.${path.fields[i]}`,
    ...Object.values(type.getFields())
      .filter((f) => isLeafType(getNamedType(f.type)))
      .map((f) => `${type.name}.${f.name}`),
  ]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every `Type:id` in a response, and every connection's totalCount beside its nodes. */
function walk(value: unknown, found: { ids: Set<string>; counts: [number, number][] }): void {
  if (Array.isArray(value)) {
    value.forEach((item) => walk(item, found));
    return;
  }
  if (!isRecord(value)) {
    return;
  }
  if (typeof value.__typename === 'string' && typeof value.id === 'string') {
    found.ids.add(`${value.__typename}:${value.id}`);
  }
  if (typeof value.totalCount === 'number' && Array.isArray(value.nodes)) {
    found.counts.push([value.totalCount, value.nodes.length]);
  }
  Object.values(value).forEach((child) => walk(child, found));
}

type Result = Awaited<ReturnType<TestApp['execute']>>;

describe('board-scoped tokens read only their boards, on every path of the schema', () => {
  let app: TestApp;
  let a: BoardData;
  let b: BoardData;
  let scopedReadOnly: Identity;
  let scopedFull: Identity;
  let emptied: Identity;

  beforeAll(async () => {
    app = await TestApp.start();
    b = await seedBoard(app, 'Board B');
    // A's incidents list one of B's monitors: a link across boards.
    a = await seedBoard(app, 'Board A', [b.customId]);
    scopedReadOnly = await scopedToken(app, 'A read-only', TokenPermission.READ_ONLY, [a.boardId]);
    scopedFull = await scopedToken(app, 'A full', TokenPermission.FULL_ACCESS, [a.boardId]);
    const { createBoard } = await app.data<{ createBoard: { id: string } }>(
      'mutation { createBoard(input: { name: "Short-lived" }) { id } }',
    );
    emptied = await scopedToken(app, 'emptied', TokenPermission.READ_ONLY, [createBoard.id]);
    await app.data('mutation($id: ID!) { deleteBoard(id: $id) }', { id: createBoard.id });
  });
  afterAll(() => app.close());

  it('declares what a scoped token reads from every Query field, and no other', () => {
    expect(Object.keys(READS).sort()).toEqual(Object.keys(QUERIES).sort());
  });

  it('walks every field reachable from Query', () => {
    const walked = new Set(PATHS.flatMap(fieldsOf));
    const reachable = new Set<string>();
    const seen = new Set<string>();
    const queue: GraphQLObjectType[] = [QUERY];
    for (const type of queue) {
      for (const field of Object.values(type.getFields())) {
        reachable.add(`${type.name}.${field.name}`);
        const next = getNamedType(field.type);
        if (isObjectType(next) && !seen.has(next.name)) {
          seen.add(next.name);
          queue.push(next);
        }
      }
    }
    expect([...reachable].filter((f) => !walked.has(f))).toEqual([]);
  });

  /** The id arguments of a root: one in scope (or the caller itself), one outside. */
  function idsFor(root: string, caller: Identity): { inside: string; outside: string } {
    switch (getNamedType(QUERIES[root].type).name) {
      case 'Board':
        return { inside: a.boardId, outside: b.boardId };
      case 'Monitor':
        return { inside: a.customId, outside: b.customId };
      case 'Incident':
        return { inside: a.incidentId, outside: b.incidentId };
      case 'ApiToken':
        return { inside: caller.token.id, outside: app.identities.full.token.id };
    }
    throw new Error(`The read matrix does not know the ids of Query.${root}; teach it.`);
  }

  /** Root argument values: ids, and a filter (every Boolean on, or out-of-scope ids). */
  function variantsOf(root: string, caller: Identity) {
    const field = QUERIES[root];
    const idArgs = requiredArgs(field).filter((arg) => getNamedType(arg.type).name === 'ID');
    const others = requiredArgs(field).filter(
      (arg) => !idArgs.includes(arg) && !(arg.name in (ROOT_VALUES[root] ?? {})),
    );
    if (others.length > 0) {
      throw new Error(`The read matrix does not know Query.${root}(${others[0].name}); teach it.`);
    }
    const filterType = field.args.find((arg) => arg.name === 'filter')?.type;
    const filter = filterType && getNamedType(filterType);
    const variants: { name: string; values: Record<string, unknown>; outside: boolean }[] = [];
    if (idArgs.length > 0) {
      const { inside, outside } = idsFor(root, caller);
      const of = (id: string) => Object.fromEntries(idArgs.map((arg) => [arg.name, id]));
      variants.push({ name: 'its own id', values: of(inside), outside: false });
      variants.push({ name: 'an id outside', values: of(outside), outside: true });
      return variants;
    }
    variants.push({ name: 'no arguments', values: { ...ROOT_VALUES[root] }, outside: false });
    if (isInputObjectType(filter)) {
      const fields = Object.values(filter.getFields());
      const booleans = fields.filter((f) => getNamedType(f.type).name === 'Boolean');
      if (booleans.length > 0) {
        variants.push({
          name: 'every Boolean filter on',
          values: { filter: Object.fromEntries(booleans.map((f) => [f.name, true])) },
          outside: false,
        });
      }
      const outsideIds: Record<string, string> = {
        boardId: b.boardId,
        monitorId: b.customId,
        incidentId: b.incidentId,
      };
      for (const f of fields.filter((f) => getNamedType(f.type).name === 'ID')) {
        if (outsideIds[f.name]) {
          variants.push({
            name: `filter.${f.name} outside`,
            values: {
              filter: {
                [f.name]: outsideIds[f.name],
                ...Object.fromEntries(booleans.map((x) => [x.name, true])),
              },
            },
            outside: true,
          });
        }
      }
    }
    return variants;
  }

  /** Runs every path document of `root` in every variant as `caller`. */
  async function readAll(root: string, caller: Identity) {
    const runs: { path: Path; variant: string; outside: boolean; result: Result }[] = [];
    for (const variant of variantsOf(root, caller)) {
      for (const path of PATHS.filter((p) => p.fields[0] === root)) {
        const args = rootArgs(QUERIES[root], variant.values);
        const result = await app.execute(caller.secret, documentOf(path, args), args.variables);
        runs.push({ path, variant: variant.name, outside: variant.outside, result });
      }
    }
    return runs;
  }

  /** The errors a caller may get besides what READS says: the ruled fields, for READ_ONLY. */
  function expectOnlyRuledFieldErrors(result: Result, caller: Identity): void {
    for (const error of result.errors ?? []) {
      const last = String(error.path?.[error.path.length - 1]);
      expect(caller.token.permission).toBe(TokenPermission.READ_ONLY);
      expect(RULED_FIELDS.map((f) => f.split('.')[1])).toContain(last);
      expect(error.extensions).toMatchObject({
        code: 'FORBIDDEN',
        requiredPermission: 'FULL_ACCESS',
      });
    }
  }

  const ROOTS = Object.keys(QUERIES);

  it.each(ROOTS)(
    'Query.%s: the organization-wide token reaches the objects of both boards',
    async (root) => {
      const runs = await readAll(root, app.identities.full);
      const found = { ids: new Set<string>(), counts: [] as [number, number][] };
      for (const { result } of runs) {
        expect(result.errors).toBeUndefined();
        walk(result.data, found);
      }
      if (READS[root] === 'BOARDS') {
        // The documents reach B's objects: a scoped token's not seeing them below is the scope.
        const bKinds = new Set(
          typedIds(b)
            .filter((id) => found.ids.has(id))
            .map((id) => id.split(':')[0]),
        );
        expect(bKinds.size).toBeGreaterThan(0);
      }
    },
  );

  describe.each([
    ['scoped READ_ONLY', () => scopedReadOnly],
    ['scoped FULL_ACCESS', () => scopedFull],
    ['scope emptied by deletion', () => emptied],
  ])('%s', (_name, callerOf) => {
    it.each(ROOTS)('Query.%s', async (root) => {
      const caller = callerOf();
      const runs = await readAll(root, caller);
      expect(runs).not.toEqual([]);
      const allowed = new Set([
        ...(caller === emptied ? [] : typedIds(a)),
        `ApiToken:${caller.token.id}`,
        `Organization:${app.organization.id}`,
      ]);
      const seen = new Set<string>();
      for (const { path, variant, outside, result } of runs) {
        const where = `${path.fields.join('.')} (${variant})`;
        if (READS[root] === 'ORGANIZATION') {
          expect({ where, data: result.data ?? null }).toEqual({ where, data: null });
          expect(result.errors?.map((e) => e.extensions)).toEqual([
            expect.objectContaining({ code: 'FORBIDDEN', requiredScope: 'ORGANIZATION' }),
          ]);
          expect(result.errors?.[0].extensions).not.toHaveProperty('requiredPermission');
          continue;
        }
        expectOnlyRuledFieldErrors(result, caller);
        const found = { ids: new Set<string>(), counts: [] as [number, number][] };
        walk(result.data, found);
        expect({ where, leaked: [...found.ids].filter((id) => !allowed.has(id)) }).toEqual({
          where,
          leaked: [],
        });
        for (const [totalCount, listed] of found.counts) {
          expect({ where, totalCount }).toEqual({ where, totalCount: listed });
        }
        if (outside) {
          // An object outside the scope is an unknown id: null; a filter naming one matches nothing.
          const top: unknown =
            (result.data as Record<string, unknown> | null | undefined)?.[root] ?? null;
          if (getNamedType(QUERIES[root].type).name.endsWith('Connection')) {
            expect({ where, top }).toEqual({
              where,
              top: expect.objectContaining({ totalCount: 0 }),
            });
            for (const list of ['nodes', 'edges']) {
              if (isRecord(top) && list in top) {
                const listed: unknown = top[list];
                expect({ where, list: listed }).toEqual({ where, list: [] });
              }
            }
          } else {
            expect({ where, top }).toEqual({ where, top: null });
          }
        }
        found.ids.forEach((id) => seen.add(id));
      }
      if (READS[root] === 'BOARDS' && caller !== emptied) {
        // Not vacuous: the scoped token does get its own board's objects on these paths.
        expect([...seen].some((id) => typedIds(a).includes(id))).toBe(true);
      }
      if (READS[root] === 'ITSELF') {
        expect(seen.has(`ApiToken:${caller.token.id}`)).toBe(true);
      }
    });
  });
});
