// First: Date stands still from here on, before src/ loads (see frozen-date.ts).
import { FROZEN_NOW } from '../helpers/frozen-date';
import fc from 'fast-check';
import { SUGGEST_READ_ONLY_AFTER_MS } from '../../src/tokens/api-token.entity';
import { ApiTokenStatus, TokenPermission } from '../../src/tokens/token-permission';
import { TestApp } from '../helpers/test-app';

/**
 * One rule, two places: a token's status and suggestedPermission are entity getters (what the API
 * shows) and again SQL filters (`apiTokens(filter: { status | suggestedReadOnly })`). Generated
 * tokens, their times at and around each boundary (expiry against now, creation and last write
 * against now − 30 days), go into the real database; each filter must return exactly the tokens
 * whose getter says so.
 *
 * "Now" is fixed: only `Date` is faked (timers stay real), so the fields and the SQL filters,
 * which both read the services' clock (here the system clock, whose Date stands still), see the
 * same instant and a boundary is tested to the millisecond, `<=` against `<` included.
 */

const NOW = FROZEN_NOW;
const CUTOFF = NOW - SUGGEST_READ_ONLY_AFTER_MS;
const DAY = 24 * 60 * 60 * 1000;

/** An instant at, just around or well away from `anchor`. */
const around = (anchor: number) =>
  fc
    .oneof(fc.constantFrom(0, -1, 1, -1000, 1000), fc.integer({ min: -3 * DAY, max: 3 * DAY }))
    .map((offset) => new Date(anchor + offset));
const orNull = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null, freq: 2 });

const tokenSpec = fc.record({
  permission: fc.constantFrom(TokenPermission.FULL_ACCESS, TokenPermission.READ_ONLY),
  active: fc.boolean(),
  revokedAt: orNull(fc.oneof(around(NOW), around(CUTOFF))),
  expiresAt: orNull(around(NOW)),
  createdAt: fc.oneof(around(CUTOFF), around(NOW - DAY)),
  lastWriteAt: orNull(fc.oneof(around(CUTOFF), around(NOW))),
});

type Spec = typeof tokenSpec extends fc.Arbitrary<infer T> ? T : never;

/**
 * Each status (ACTIVE, INACTIVE, EXPIRED at exactly now, REVOKED) with each kind of token: a
 * FULL_ACCESS one idle since 1 ms before the cutoff, FULL_ACCESS ones created or last written at
 * exactly the cutoff (not idle: the rule says older than), and a READ_ONLY one.
 */
const BOUNDARIES: Spec[] = [
  { active: true, revokedAt: null, expiresAt: new Date(NOW + 1) },
  { active: false, revokedAt: null, expiresAt: null },
  { active: true, revokedAt: null, expiresAt: new Date(NOW) },
  { active: true, revokedAt: new Date(NOW), expiresAt: new Date(NOW - 1) },
].flatMap((status) => [
  {
    ...status,
    permission: TokenPermission.FULL_ACCESS,
    createdAt: new Date(CUTOFF - 1),
    lastWriteAt: new Date(CUTOFF - 1),
  },
  {
    ...status,
    permission: TokenPermission.FULL_ACCESS,
    createdAt: new Date(CUTOFF),
    lastWriteAt: null,
  },
  {
    ...status,
    permission: TokenPermission.FULL_ACCESS,
    createdAt: new Date(CUTOFF - 1),
    lastWriteAt: new Date(CUTOFF),
  },
  {
    ...status,
    permission: TokenPermission.READ_ONLY,
    createdAt: new Date(CUTOFF - 1),
    lastWriteAt: null,
  },
]);

interface Listed {
  id: string;
  status: ApiTokenStatus;
  permission: TokenPermission;
  suggestedPermission: TokenPermission;
}

const LIST = `query($filter: ApiTokenFilter) {
  apiTokens(first: 100, filter: $filter) { totalCount nodes { id status permission suggestedPermission } }
}`;

const ids = (tokens: Listed[]) => tokens.map((token) => token.id).sort();

describe('token status and suggestedPermission: the getters and the SQL filters agree', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(async () => {
    await app.close();
    jest.useRealTimers();
  });

  it('on generated tokens, each filter returns exactly the tokens its getter names', async () => {
    let run = 0;
    // What the runs covered, so a generator that stopped reaching a case fails the test.
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(tokenSpec, { minLength: 1, maxLength: 16 }), async (specs) => {
        expect(Date.now()).toBe(NOW);
        // An organization of its own per run: its first token (ACTIVE, made now) and these.
        const { secret, organization } = await app.services.organizations.create(
          `Rules ${run++}`,
          'test.setup',
        );
        for (const [i, spec] of specs.entries()) {
          const { permission, ...overrides } = spec;
          await app.createToken(`token ${i}`, permission, overrides, organization.id);
        }
        const client = app.client(secret);
        const list = async (filter?: Record<string, unknown>) => {
          const { apiTokens } = await client.data<{
            apiTokens: { totalCount: number; nodes: Listed[] };
          }>(LIST, { filter });
          expect(apiTokens.nodes).toHaveLength(apiTokens.totalCount);
          return apiTokens.nodes;
        };

        const all = await list();
        expect(all).toHaveLength(specs.length + 1);
        all.forEach((token) =>
          seen.add(`${token.status} ${token.permission}>${token.suggestedPermission}`),
        );
        for (const status of Object.values(ApiTokenStatus)) {
          expect(ids(await list({ status }))).toEqual(
            ids(all.filter((token) => token.status === status)),
          );
        }
        // suggestedReadOnly: true names the tokens the getter suggests moving to READ_ONLY.
        const suggested = all.filter(
          (token) =>
            token.suggestedPermission === TokenPermission.READ_ONLY &&
            token.permission !== TokenPermission.READ_ONLY,
        );
        expect(ids(await list({ suggestedReadOnly: true }))).toEqual(ids(suggested));
        expect(ids(await list({ suggestedReadOnly: false }))).toEqual(
          ids(all.filter((token) => !suggested.includes(token))),
        );
      }),
      {
        numRuns: 25,
        // The exact boundaries, always: expired at now, created and last written at the cutoff.
        // Every status with each kind of token, at the exact boundaries, always.
        examples: [[BOUNDARIES]],
      },
    );
    expect([...seen].sort()).toEqual([
      'ACTIVE FULL_ACCESS>FULL_ACCESS',
      'ACTIVE FULL_ACCESS>READ_ONLY',
      'ACTIVE READ_ONLY>READ_ONLY',
      'EXPIRED FULL_ACCESS>FULL_ACCESS',
      'EXPIRED FULL_ACCESS>READ_ONLY',
      'EXPIRED READ_ONLY>READ_ONLY',
      'INACTIVE FULL_ACCESS>FULL_ACCESS',
      'INACTIVE FULL_ACCESS>READ_ONLY',
      'INACTIVE READ_ONLY>READ_ONLY',
      'REVOKED FULL_ACCESS>FULL_ACCESS',
      'REVOKED FULL_ACCESS>READ_ONLY',
      'REVOKED READ_ONLY>READ_ONLY',
    ]);
  }, 120_000);
});
