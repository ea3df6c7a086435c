import { ApiToken } from '../../src/tokens/api-token.entity';
import { TokenPermission } from '../../src/tokens/token-permission';
import { HttpClient } from '../helpers/http-client';
import { TestApp, capturedLogLines } from '../helpers/test-app';
import { TEST_DB } from '../helpers/test-database';
import { ManualClock } from '../helpers/clock';

/**
 * A real database refusal: every change of api_token.last_used_at is aborted by the database
 * itself (a SQLite trigger raising ABORT, or a PostgreSQL trigger function raising an exception).
 */
async function refuseLastUseWrites(app: TestApp): Promise<void> {
  const message = 'last use refused for the test';
  if (TEST_DB === 'postgres') {
    await app.services.db.write(async (manager) => {
      await manager.query(
        `CREATE FUNCTION refuse_last_use() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION '${message}'; END $$`,
      );
      await manager.query(
        `CREATE TRIGGER refuse_last_use BEFORE UPDATE OF last_used_at ON api_token
         FOR EACH ROW EXECUTE FUNCTION refuse_last_use()`,
      );
    });
    return;
  }
  await app.services.db.write((manager) =>
    manager.query(
      `CREATE TRIGGER refuse_last_use BEFORE UPDATE OF last_used_at ON api_token
       BEGIN SELECT RAISE(ABORT, '${message}'); END`,
    ),
  );
}

/**
 * Holds back every write to the token's row until `release` with a real open transaction: on
 * SQLite a transaction in the write queue (the last-use write queues behind it), on PostgreSQL a
 * row lock taken in a transaction of its own connection (the last-use UPDATE waits for it).
 */
async function holdTokenWrites(
  app: TestApp,
  tokenId: string,
): Promise<{ release: () => Promise<void> }> {
  if (TEST_DB === 'postgres') {
    const runner = app.services.db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const locked: unknown[] = await runner.query(
      'SELECT id FROM api_token WHERE id = $1 FOR UPDATE',
      [tokenId],
    );
    expect(locked).toHaveLength(1);
    return {
      release: async () => {
        try {
          await runner.commitTransaction();
        } finally {
          await runner.release();
        }
      },
    };
  }
  let open: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    open = resolve;
  });
  const held = app.services.db.write(() => released);
  return {
    release: async () => {
      open();
      await held;
    },
  };
}

interface TokenUse {
  lastUsedAt: string | null;
  lastUsedUserAgent: string | null;
  lastUsedIp: string | null;
}

const TOKEN_USE = `query($id: ID!) {
  apiToken(id: $id) { lastUsedAt lastUsedUserAgent lastUsedIp }
  apiTokens(first: 100) { nodes { id lastUsedAt } }
  viewer { token { lastUsedAt } }
}`;

describe('last use, off the request path', () => {
  describe('with the default interval of 60 s', () => {
    let app: TestApp;
    let clock: ManualClock;
    beforeEach(async () => {
      clock = new ManualClock();
      app = await TestApp.start({ clock });
    });
    afterEach(() => app.close());

    const storedUse = async (id: string) => {
      const token = await app.services.db.reader.findOneByOrFail(ApiToken, { id });
      return { at: token.lastUsedAt, userAgent: token.lastUsedUserAgent };
    };
    /** Every last-use write the requests so far began has landed; how many there were. */
    const writesLanded = async () => {
      await app.services.lastUse.settled();
      return app.services.lastUse.writes;
    };

    it('writes once for many requests, shows the newest use at once, and flush stores it', async () => {
      const { token, secret } = app.identities.full;
      const endpoint = `${app.url}/graphql`;
      expect(app.services.lastUse.writes).toBe(0);
      expect((await storedUse(token.id)).at).toBeNull();

      await new HttpClient(endpoint, secret, 'agent-0').data('{ viewer { permission } }');
      expect(await writesLanded()).toBe(1);
      const firstStored = await storedUse(token.id);
      expect(firstStored.userAgent).toBe('agent-0');
      expect(firstStored.at).toEqual(expect.any(Date));

      // The clock moves 1 ms a request (uses are stamped by it): the 60 s interval never passes,
      // whatever the requests take.
      for (let i = 1; i <= 20; i++) {
        clock.advance(1);
        await new HttpClient(endpoint, secret, `agent-${i}`).data('{ viewer { permission } }');
      }
      expect(await writesLanded()).toBe(1);
      expect(await storedUse(token.id)).toEqual(firstStored);

      // Another token reading this one sees the 20th use, which is not in the database yet.
      const reader = await app.createToken('reader', TokenPermission.FULL_ACCESS);
      const other = await app
        .client(reader.secret)
        .data<{ apiToken: { lastUsedAt: string; lastUsedUserAgent: string } }>(
          'query($id: ID!) { apiToken(id: $id) { lastUsedAt lastUsedUserAgent } }',
          { id: token.id },
        );
      expect(other.apiToken.lastUsedUserAgent).toBe('agent-20');
      const pending = new Date(other.apiToken.lastUsedAt).getTime();
      expect(pending).toBeGreaterThan(firstStored.at?.getTime() ?? Infinity);
      // The reader's own first use is written once; the first token's use still waits.
      expect(await writesLanded()).toBe(2);
      expect(await storedUse(token.id)).toEqual(firstStored);

      clock.advance(1);
      const seen = await new HttpClient(endpoint, secret, 'agent-21').data<{
        apiToken: TokenUse;
        apiTokens: { nodes: { id: string; lastUsedAt: string | null }[] };
        viewer: { token: { lastUsedAt: string } };
      }>(TOKEN_USE, { id: token.id });
      const shown = new Date(seen.apiToken.lastUsedAt ?? 0).getTime();
      expect(shown).toBeGreaterThanOrEqual(pending);
      expect(shown).toBeGreaterThan(firstStored.at?.getTime() ?? Infinity);
      expect(seen.apiToken.lastUsedUserAgent).toBe('agent-21');
      expect(seen.apiToken.lastUsedIp).toEqual(expect.any(String));
      expect(seen.apiTokens.nodes.find((n) => n.id === token.id)?.lastUsedAt).toBe(
        seen.apiToken.lastUsedAt,
      );
      expect(new Date(seen.viewer.token.lastUsedAt).getTime()).toBe(shown);
      expect(await writesLanded()).toBe(2);
      expect(await storedUse(token.id)).toEqual(firstStored);

      await app.services.lastUse.flush();
      expect(app.services.lastUse.writes).toBe(3);
      const stored = await storedUse(token.id);
      expect(stored.at?.toISOString()).toBe(seen.apiToken.lastUsedAt);
      expect(stored.userAgent).toBe('agent-21');
    });

    it('writes again at once when a use comes after the interval, by the clock', async () => {
      const { token, secret } = app.identities.full;
      const endpoint = `${app.url}/graphql`;
      await new HttpClient(endpoint, secret, 'agent-0').data('{ viewer { permission } }');
      await new HttpClient(endpoint, secret, 'agent-1').data('{ viewer { permission } }');
      expect(await writesLanded()).toBe(1);

      clock.advance(59_999);
      await new HttpClient(endpoint, secret, 'agent-2').data('{ viewer { permission } }');
      expect(await writesLanded()).toBe(1);
      expect((await storedUse(token.id)).userAgent).toBe('agent-0');

      clock.advance(1);
      await new HttpClient(endpoint, secret, 'agent-3').data('{ viewer { permission } }');
      expect(await writesLanded()).toBe(2);
      expect((await storedUse(token.id)).userAgent).toBe('agent-3');
    });

    it('keeps the interval per token: another token gets its own first write', async () => {
      await app.asFullAccess().data('{ viewer { permission } }');
      expect(await writesLanded()).toBe(1);
      await app.asReadOnly().data('{ viewer { permission } }');
      expect(await writesLanded()).toBe(2);
      for (let i = 0; i < 5; i++) {
        await app.asFullAccess().data('{ viewer { permission } }');
        await app.asReadOnly().data('{ viewer { permission } }');
      }
      expect(await writesLanded()).toBe(2);
      const rows = await app.services.db.reader.findBy(ApiToken, {
        organizationId: app.organization.id,
      });
      const used = rows.filter((t) => t.lastUsedAt !== null).map((t) => t.id);
      expect(used.sort()).toEqual(
        [app.identities.full.token.id, app.identities.readOnly.token.id].sort(),
      );
    });

    it('answers without waiting for the write', async () => {
      // Hold writes of the token with a real transaction until the answer is in; the last-use
      // write waits behind it, so an answer that waited for the write would never come.
      const blocker = await holdTokenWrites(app, app.identities.full.token.id);
      const response = await app.asFullAccess().request('{ viewer { permission } }');
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ viewer: { permission: 'FULL_ACCESS' } });
      expect(app.services.lastUse.writes).toBe(0);
      await blocker.release();
      expect(await writesLanded()).toBe(1);
    });

    it('never fails a request when the write fails', async () => {
      const { token, secret } = app.identities.full;
      // A real database refusal: every change of last_used_at is aborted by the database itself.
      await refuseLastUseWrites(app);
      const linesBefore = capturedLogLines.length;
      const client = new HttpClient(`${app.url}/graphql`, secret, 'failing-agent');
      for (let i = 0; i < 3; i++) {
        const response = await client.request('{ viewer { permission } }');
        expect(response.status).toBe(200);
        expect(response.errors).toBeUndefined();
      }
      const mutation = await client.request<{ createBoard: { name: string } }>(
        'mutation { createBoard(input: { name: "still works" }) { name } }',
      );
      expect(mutation.errors).toBeUndefined();
      expect(mutation.data?.createBoard.name).toBe('still works');

      await app.services.lastUse.flush();
      expect(app.services.lastUse.writes).toBe(0);
      expect((await storedUse(token.id)).at).toBeNull();
      const warnings = capturedLogLines
        .slice(linesBefore)
        .filter((line) => line.includes('could not record'));
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings.every((line) => line.includes(token.id))).toBe(true);
      expect(warnings.some((line) => line.includes(secret))).toBe(false);

      // The instance still knows the last use and shows it.
      const seen = await client.data<{ apiToken: TokenUse }>(TOKEN_USE, { id: token.id });
      expect(seen.apiToken.lastUsedAt).toEqual(expect.any(String));
      expect(seen.apiToken.lastUsedUserAgent).toBe('failing-agent');
    });
  });

  describe('with an interval of 0', () => {
    let app: TestApp;
    beforeEach(async () => {
      app = await TestApp.start({ lastUsedWriteIntervalSeconds: 0 });
    });
    afterEach(() => app.close());

    it('may write on every use, and the stored value is the newest', async () => {
      const { token, secret } = app.identities.full;
      await new HttpClient(`${app.url}/graphql`, secret, 'agent-0').data(
        '{ viewer { permission } }',
      );
      await app.services.lastUse.settled();
      expect(app.services.lastUse.writes).toBe(1);
      // Further uses straight to the recorder, 1 ms apart by a clock the test moves (a use's
      // time comes from the request, which the test cannot set).
      const clock = new ManualClock(
        (
          await app.services.db.reader.findOneByOrFail(ApiToken, {
            id: token.id,
          })
        ).lastUsedAt ?? new Date(),
      );
      for (let i = 1; i <= 5; i++) {
        clock.advance(1);
        app.services.lastUse.note(token.id, { at: clock.now(), ip: null, userAgent: `agent-${i}` });
        await app.services.lastUse.settled();
        expect(app.services.lastUse.writes).toBe(i + 1);
      }
      await app.services.lastUse.flush();
      expect(app.services.lastUse.writes).toBe(6);
      const stored = await app.services.db.reader.findOneByOrFail(ApiToken, { id: token.id });
      expect(stored.lastUsedUserAgent).toBe('agent-5');
      expect(stored.lastUsedAt).toEqual(clock.now());
    });
  });
});
