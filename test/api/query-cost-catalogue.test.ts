import { getNamedType, getNullableType, isListType, isObjectType } from 'graphql';
import type { CostReport } from '../../src/limits/cost-budget';
import { TokenPermission } from '../../src/tokens/token-permission';
import { type BoardData, scopedToken, seedBoard } from '../helpers/scope-fixture';
import { insertStatusFixture } from '../helpers/status-fixture';
import { SCHEMA } from '../helpers/sync-schema';
import { TestApp } from '../helpers/test-app';

/**
 * API.md section 9 for every query root field and every nested object, list or connection of
 * the schema: `requestedQueryCost` ≥ `actualQueryCost`, each field read under a page of parents
 * (so that a per-parent estimate is tested with many parents). The fields come from the schema:
 * one without an entry here fails the first test. Run on PostgreSQL with
 * STATUSGRAPH_TEST_DB=postgres.
 */

/** Wrappers of a list, read through the fields that hold them. */
const WRAPPERS = /(Connection|Edge)$|^PageInfo$|^Mutation$/;

/** Object fields reached only through a mutation: priced in mutation-cost.test.ts. */
const THROUGH_MUTATIONS = new Set(['CreatedApiToken.token']);

/** Every root field, and every field of an object type that holds an object or a list. */
function fieldsToPrice(): string[] {
  const fields: string[] = [];
  for (const type of Object.values(SCHEMA.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || WRAPPERS.test(type.name)) {
      continue;
    }
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      const root = type === SCHEMA.getQueryType();
      const holds =
        isObjectType(getNamedType(field.type)) || isListType(getNullableType(field.type));
      if ((root || holds) && !THROUGH_MUTATIONS.has(key)) {
        fields.push(key);
      }
    }
  }
  return fields.sort();
}

type Seeded = BoardData & { tokenId: string };
type Request = (seeded: Seeded) => { query: string; variables?: Record<string, unknown> };

const INCIDENT = 'id name severity phase startedAt';
const MONITOR = 'id displayName status monitorType';

/** A typical request for each field, under as many parents as the fixture has. */
const CATALOGUE: Record<string, Request> = {
  'Query.apiToken': (seeded) => ({
    query: 'query($id: ID!) { apiToken(id: $id) { id name permission lastUsedAt } }',
    variables: { id: seeded.tokenId },
  }),
  'Query.apiTokens': () => ({
    query: '{ apiTokens(first: 100) { totalCount nodes { id name permission } } }',
  }),
  'Query.auditEvents': () => ({
    query:
      '{ auditEvents(first: 200) { totalCount edges { cursor node { id action outcome targetId } } pageInfo { hasNextPage } } }',
  }),
  'Query.board': (seeded) => ({
    query: 'query($id: ID!) { board(id: $id) { id name } }',
    variables: { id: seeded.boardId },
  }),
  'Query.boards': () => ({ query: '{ boards(first: 100) { totalCount nodes { id name } } }' }),
  'Query.incident': (seeded) => ({
    query: `query($id: ID!) { incident(id: $id) { ${INCIDENT} } }`,
    variables: { id: seeded.incidentId },
  }),
  'Query.incidents': () => ({
    query: `{ incidents(first: 200) { totalCount nodes { ${INCIDENT} } pageInfo { endCursor } } }`,
  }),
  'Query.monitor': (seeded) => ({
    query: `query($id: ID!) { monitor(id: $id) { ${MONITOR} } }`,
    variables: { id: seeded.websiteId },
  }),
  'Query.monitors': () => ({
    query: `{ monitors(first: 200) { totalCount nodes { ${MONITOR} } } }`,
  }),
  'Query.queryCost': () => ({
    query: '{ queryCost(query: "{ boards { nodes { id } } }") { requestedQueryCost } }',
  }),
  'Query.rateLimit': () => ({
    query: '{ rateLimit { cost limit remaining resetAt restoreRate } }',
  }),
  'Query.statusEvents': () => ({
    query: '{ statusEvents(first: 200) { totalCount nodes { id status recordedAt } } }',
  }),
  'Query.viewer': () => ({ query: '{ viewer { permission } }' }),
  'Viewer.organization': () => ({ query: '{ viewer { organization { id name } } }' }),
  'Viewer.token': () => ({ query: '{ viewer { token { id name prefix } } }' }),
  'ApiToken.boards': () => ({
    query: '{ apiTokens(first: 100) { nodes { id boards { id name } } } }',
  }),
  'AuditEvent.token': () => ({
    query: '{ auditEvents(first: 200) { nodes { id token { id name prefix } } } }',
  }),
  'Board.incidents': () => ({
    query: `{ boards(first: 100) { nodes { incidents(first: 5) { totalCount nodes { ${INCIDENT} } } } } }`,
  }),
  'Board.monitors': () => ({
    query: `{ boards(first: 100) { nodes { monitors(first: 5) { totalCount nodes { ${MONITOR} } } } } }`,
  }),
  'Incident.board': () => ({
    query: '{ incidents(first: 200) { nodes { id board { id name } } } }',
  }),
  'Incident.monitors': () => ({
    query: `{ incidents(first: 200) { nodes { id monitors { ${MONITOR} board { id } } } } }`,
  }),
  'Incident.updates': () => ({
    query: '{ incidents(first: 200) { nodes { id updates { id message phase createdAt } } } }',
  }),
  'Monitor.board': () => ({ query: '{ monitors(first: 200) { nodes { id board { id name } } } }' }),
  'Monitor.requestHeaders': () => ({
    query: '{ monitors(first: 200) { nodes { id requestHeaders { name value } } } }',
  }),
  'Monitor.statusEvents': () => ({
    query:
      '{ monitors(first: 200) { nodes { id statusEvents(first: 3) { totalCount nodes { id status monitor { id } } } } } }',
  }),
  'Monitor.uptime': () => ({
    query:
      '{ monitors(first: 200) { nodes { id uptime(since: "2020-01-01T00:00:00.000Z") { since until upPercent upSeconds downSeconds } } } }',
  }),
  'StatusEvent.monitor': () => ({
    query: '{ statusEvents(first: 200) { nodes { id monitor { id board { name } } } } }',
  }),
};

describe('every query field: requested ≥ actual', () => {
  let app: TestApp;
  let seeded: Seeded;
  beforeAll(async () => {
    app = await TestApp.start();
    // Rows made through the API (request headers, status events, updates, audit events) …
    const board = await seedBoard(app, 'Seeded');
    seeded = { ...board, tokenId: app.identities.readOnly.token.id };
    await seedBoard(app, 'Second', [seeded.customId]);
    // … and many more inserted, so that every estimate is tested under many parents.
    const { boards } = await insertStatusFixture(app, {
      boards: 12,
      monitorsPerBoard: 5,
      eventsPerMonitor: 4,
      incidents: 150,
      updatesPerIncident: 3,
    });
    // Tokens limited to some boards, for ApiToken.boards.
    for (let i = 0; i < 5; i++) {
      await scopedToken(
        app,
        `scoped ${i}`,
        TokenPermission.READ_ONLY,
        boards.slice(0, i + 2).map((board) => board.id),
      );
    }
  }, 120_000);
  afterAll(() => app.close());

  it('has a typical request for every field that reads, and none for a field that is gone', () => {
    expect(Object.keys(CATALOGUE).sort()).toEqual(fieldsToPrice());
  });

  it.each(fieldsToPrice())('%s', async (field) => {
    const { query, variables } = CATALOGUE[field](seeded);
    const response = await app.apollo.executeOperation(
      { query, variables },
      { contextValue: await app.contextFor(app.identities.full.secret) },
    );
    if (response.body.kind !== 'single') {
      throw new Error('expected a single result');
    }
    const { errors, extensions } = response.body.singleResult;
    expect({ field, errors }).toEqual({ field, errors: undefined });
    const cost = extensions?.cost as CostReport;
    expect(cost.actualQueryCost).toBeGreaterThan(0);
    expect(cost.requestedQueryCost).toBeGreaterThanOrEqual(cost.actualQueryCost);
  });
});
