import { IdempotencyKey, IdempotencyState } from '../../src/idempotency/idempotency-key.entity';
import { requestHash } from '../../src/idempotency/idempotency.plugin';
import type { CostReport } from '../../src/limits/cost-budget';
import { ManualClock } from '../helpers/clock';
import { TestApp } from '../helpers/test-app';

/**
 * API.md section 9: every response to an authenticated request that reached cost analysis
 * carries `extensions.cost` and the RateLimit-* headers — the answers of the Idempotency-Key
 * (src/idempotency/) included, which short-circuit execution after the cost was reserved.
 */

const CREATE_BOARD = 'mutation($name: String!) { createBoard(input: {name: $name}) { id name } }';
const CREATE_TOKEN = `mutation($name: String!) {
  createApiToken(input: {name: $name, permission: READ_ONLY}) { secret token { id } } }`;

interface Answer {
  status: number;
  replayed: string | null;
  remaining: string | null;
  code: string | undefined;
  cost: CostReport | undefined;
}

describe('the Idempotency-Key’s own answers carry the cost', () => {
  let app: TestApp;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    app = await TestApp.start({
      clock,
      limits: { costBucketSize: 100_000, costRestoreRate: 1, authFailuresPerMinute: 1000 },
    });
  });
  afterEach(() => app.close());

  async function send(query: string, name: string, key: string): Promise<Answer> {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: app.client(app.identities.full.secret).headers({ 'Idempotency-Key': key }),
      body: JSON.stringify({ query, variables: { name } }),
    });
    const body = (await response.json()) as {
      errors?: { extensions?: { code?: string } }[];
      extensions?: { cost?: CostReport };
    };
    return {
      status: response.status,
      replayed: response.headers.get('idempotency-replayed'),
      remaining: response.headers.get('ratelimit-remaining'),
      code: body.errors?.[0]?.extensions?.code,
      cost: body.extensions?.cost,
    };
  }

  /** Figures of a request that reached cost analysis and ran nothing: its base, charged. */
  function expectCharged(answer: Answer) {
    expect(answer.cost).toBeDefined();
    const cost = answer.cost as CostReport;
    expect(cost.requestedQueryCost).toBeGreaterThanOrEqual(cost.actualQueryCost);
    expect(cost.actualQueryCost).toBeGreaterThan(0);
    expect(answer.remaining).toBe(String(cost.throttleStatus.currentlyAvailable));
  }

  it('409 for a replayed createApiToken, whose secret was withheld: this request’s figures', async () => {
    const first = await send(CREATE_TOKEN, 'dashboard', 'token-key');
    expect(first.status).toBe(200);
    const retry = await send(CREATE_TOKEN, 'dashboard', 'token-key');
    expect({ status: retry.status, code: retry.code, replayed: retry.replayed }).toEqual({
      status: 409,
      code: 'BAD_USER_INPUT',
      replayed: 'true',
    });
    expectCharged(retry);
    // Charged again after the first: the budget went down twice.
    expect(retry.cost?.throttleStatus.currentlyAvailable).toBeLessThan(
      first.cost?.throttleStatus.currentlyAvailable ?? 0,
    );
  });

  it('a replayed response keeps the figures of its first run, with this request’s headers', async () => {
    const first = await send(CREATE_BOARD, 'Ops', 'board-key');
    const retry = await send(CREATE_BOARD, 'Ops', 'board-key');
    expect(retry.replayed).toBe('true');
    expect(retry.cost).toEqual(first.cost);
    expect(Number(retry.remaining)).toBeLessThan(Number(first.remaining));
  });

  it('400 for a malformed key, 422 for a key reused with another body', async () => {
    const malformed = await send(CREATE_BOARD, 'Ops', 'has spaces');
    expect({ status: malformed.status, code: malformed.code }).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
    });
    expectCharged(malformed);

    await send(CREATE_BOARD, 'Ops', 'reused');
    const mismatch = await send(CREATE_BOARD, 'Other', 'reused');
    expect({ status: mismatch.status, code: mismatch.code }).toEqual({
      status: 422,
      code: 'BAD_USER_INPUT',
    });
    expectCharged(mismatch);
  });

  it('409 for a key whose request was executed and lost before its response was stored', async () => {
    const createdAt = new Date(clock.now().getTime() - 2 * 60 * 1000);
    await app.services.db.write((manager) =>
      manager.insert(IdempotencyKey, {
        tokenId: app.identities.full.token.id,
        key: 'lost',
        requestHash: requestHash(CREATE_BOARD, undefined, { name: 'Ops' }),
        requestId: 'another-request',
        state: IdempotencyState.EXECUTED,
        responseStatus: null,
        responseBody: null,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + 24 * 60 * 60 * 1000),
      }),
    );
    const lost = await send(CREATE_BOARD, 'Ops', 'lost');
    expect({ status: lost.status, code: lost.code }).toEqual({ status: 409, code: 'BAD_REQUEST' });
    expectCharged(lost);
  });
});
