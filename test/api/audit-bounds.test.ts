import { TokenPermission } from '../../src/tokens/token-permission';
import { ManualClock } from '../helpers/clock';
import { TestApp } from '../helpers/test-app';

const DAY_MS = 24 * 60 * 60 * 1000;

/** One request with 30 aliased deleteBoard root fields, each with an id the caller chose. */
const FLOOD = `mutation {
  ${Array.from({ length: 30 }, (_, i) => `d${i}: deleteBoard(id: "attacker-chosen-${i}")`).join('\n  ')}
}`;
const AUDIT = `query($filter: AuditEventFilter) {
  auditEvents(filter: $filter, first: 1000) { totalCount nodes { action outcome targetId count token { id } } } }`;

interface EventView {
  action: string;
  outcome: string;
  targetId: string | null;
  count: number;
  token: { id: string } | null;
}

/** Every instant of the clock the test moves starts at a fixed minute's first second. */
const START = new Date(Date.UTC(2031, 4, 6, 10, 0, 0, 0));

// API.md section 5, bounded growth: past AUDIT_DENIED_PER_MINUTE DENIED events from one token in
// a minute, further denials of that minute fold into one event per action with a count; events
// older than AUDIT_RETENTION_DAYS are purged.
describe('bounded audit growth', () => {
  let app: TestApp;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock(START);
    app = await TestApp.start({ clock });
  });
  afterEach(() => app.close());

  const events = async (filter: Record<string, unknown> = {}) => {
    const result = await app.execute<{ auditEvents: { totalCount: number; nodes: EventView[] } }>(
      app.identities.full.secret,
      AUDIT,
      { filter },
    );
    expect(result.errors).toBeUndefined();
    return result.data?.auditEvents ?? { totalCount: 0, nodes: [] };
  };
  const denials = () => events({ outcome: 'DENIED' });
  const flood = async () => {
    const result = await app.execute(app.identities.readOnly.secret, FLOOD);
    // Execution stops at the first denied non-null root field; all 30 are audited as DENIED.
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  };
  const sum = (nodes: EventView[]) => nodes.reduce((total, e) => total + e.count, 0);

  it('gives every ordinary event count 1', async () => {
    await app.execute(
      app.identities.full.secret,
      'mutation { createBoard(input: {name: "Ops"}) { id } }',
    );
    await app.execute(
      app.identities.readOnly.secret,
      'mutation { createBoard(input: {name: "x"}) { id } }',
    );
    const { nodes } = await events();
    // The organization's own creation (token: null) is one of them.
    expect(nodes.map((e) => [e.outcome, e.count, e.token === null]).sort()).toEqual([
      ['DENIED', 1, false],
      ['SUCCEEDED', 1, false],
      ['SUCCEEDED', 1, true],
    ]);
  });

  it('records the first 60 denials of a minute one by one and folds the rest into one event per action', async () => {
    for (let i = 0; i < 4; i++) {
      await flood(); // 120 denials within one minute
      clock.advance(1_000);
    }
    const { totalCount, nodes } = await denials();
    expect(totalCount).toBe(61);
    const folded = nodes.filter((e) => e.count > 1);
    expect(folded).toEqual([
      {
        action: 'deleteBoard',
        outcome: 'DENIED',
        targetId: null,
        count: 60,
        token: { id: app.identities.readOnly.token.id },
      },
    ]);
    expect(sum(nodes)).toBe(120);
    expect(nodes.filter((e) => e.count === 1)).toHaveLength(60);
  });

  it('counts afresh in the next minute, and per token', async () => {
    await flood();
    await flood();
    await flood(); // 90: 60 single, one folded event of 30
    clock.advance(60_000);
    await flood(); // a new minute: 30 single
    const other = await app.createToken('other reader', TokenPermission.READ_ONLY);
    const otherResult = await app.execute(other.secret, FLOOD);
    expect(otherResult.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const { totalCount, nodes } = await denials();
    expect(totalCount).toBe(60 + 1 + 30 + 30);
    expect(sum(nodes)).toBe(150);
  });

  it('purges events older than the retention period and keeps younger ones', async () => {
    await flood();
    await app.execute(
      app.identities.full.secret,
      'mutation { createBoard(input: {name: "Ops"}) { id } }',
    );
    // 30 denials, a success, and the organization's own creation.
    expect((await events()).totalCount).toBe(32);

    clock.set(new Date(Date.now() + 399 * DAY_MS));
    expect(await app.services.auditRetention.purge()).toBe(0);
    expect((await events()).totalCount).toBe(32);

    clock.set(new Date(Date.now() + 401 * DAY_MS));
    expect(await app.services.auditRetention.purge()).toBe(32);
    expect((await events()).totalCount).toBe(0);
  });
});
