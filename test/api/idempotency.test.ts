import { randomUUID } from 'node:crypto';
import { AuditEvent, AuditOutcome } from '../../src/audit/audit-event.entity';
import { Board } from '../../src/boards/board.entity';
import { IdempotencyKey, IdempotencyState } from '../../src/idempotency/idempotency-key.entity';
import { requestHash } from '../../src/idempotency/idempotency.plugin';
import {
  IdempotencyService,
  KEY_LIFETIME_MS,
  type IdempotencyOutcome,
} from '../../src/idempotency/idempotency.service';
import { ApiToken } from '../../src/tokens/api-token.entity';
import { TokenPermission } from '../../src/tokens/token-permission';
import { ManualClock } from '../helpers/clock';
import { TestApp } from '../helpers/test-app';

const CREATE_BOARD = `mutation($name: String!) { createBoard(input: {name: $name}) { id name } }`;
const BOARDS = '{ boards { totalCount } }';
const DELETE_BOARD = `mutation($id: ID!) { deleteBoard(id: $id) }`;
const HASH = requestHash(CREATE_BOARD, undefined, { name: 'Ops' });

interface Sent {
  status: number;
  text: string;
  replayed: string | null;
  code: string | undefined;
}

describe('Idempotency-Key on mutations', () => {
  let app: TestApp;
  // Stands still unless a test moves it: a wait or a takeover happens only when the test says.
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    app = await TestApp.start({ clock });
  });
  afterEach(() => app.close());

  /** A POST as a script sends it, with the key header when `key` is given. */
  async function send(
    secret: string,
    query: string,
    variables: Record<string, unknown>,
    key?: string,
  ): Promise<Sent> {
    const headers = app.client(secret).headers(key === undefined ? {} : { 'Idempotency-Key': key });
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    const body = JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
    return {
      status: response.status,
      text,
      replayed: response.headers.get('idempotency-replayed'),
      code: body.errors?.[0]?.extensions?.code,
    };
  }

  const full = () => app.identities.full.secret;
  const ago = (ms: number) => new Date(clock.now().getTime() - ms);
  /** A service that waits `waitMs` (by the clock) for a held key. */
  const impatient = (waitMs: number) =>
    new IdempotencyService(app.services.db, { waitMs, takeoverMs: 60_000, pollMs: 20 }, clock);
  /**
   * Runs `begin` of a service waiting `waitMs`: it is still waiting after polling the held row
   * (the clock read a few times over), and reports the key busy once the clock passed `waitMs`.
   */
  async function busyAfterWait(tokenId: string, key: string): Promise<IdempotencyOutcome> {
    let settled = false;
    const outcome = impatient(200)
      .begin(tokenId, key, HASH, 'retry')
      .finally(() => {
        settled = true;
      });
    await clock.read(6);
    expect(settled).toBe(false);
    clock.advance(199);
    await clock.read(3);
    expect(settled).toBe(false);
    clock.advance(1);
    return outcome;
  }
  const boardNames = async () =>
    (
      await app.services.db.reader.find(Board, {
        where: { organizationId: app.organization.id },
        order: { createdAt: 'ASC' },
      })
    ).map((board) => board.name);
  const keyRow = (tokenId: string, key: string) =>
    app.services.db.reader.findOneBy(IdempotencyKey, { tokenId, key });
  const succeededCount = () =>
    app.services.db.reader.countBy(AuditEvent, {
      action: 'createBoard',
      outcome: AuditOutcome.SUCCEEDED,
    });
  /** Moves a key's claim back in time, past the takeover time. */
  const age = (tokenId: string, key: string) =>
    app.services.db.write((manager) =>
      manager.update(IdempotencyKey, { tokenId, key }, { createdAt: ago(2 * 60 * 1000) }),
    );

  /**
   * Makes storing a response fail in the database, as if the instance stopped right after the
   * mutation committed; returns the undo (a restarted instance).
   */
  async function failResponseStores(): Promise<() => Promise<void>> {
    const sql = app.services.db.isSqlite
      ? [
          `CREATE TRIGGER fail_response_store BEFORE UPDATE OF state ON idempotency_key
           WHEN NEW.state = 'COMPLETED' BEGIN SELECT RAISE(ABORT, 'instance stopped'); END`,
        ]
      : [
          `CREATE FUNCTION fail_response_store() RETURNS trigger LANGUAGE plpgsql
           AS $$ BEGIN RAISE EXCEPTION 'instance stopped'; END $$`,
          `CREATE TRIGGER fail_response_store BEFORE UPDATE ON idempotency_key FOR EACH ROW
           WHEN (NEW.state = 'COMPLETED') EXECUTE FUNCTION fail_response_store()`,
        ];
    await app.services.db.write(async (manager) => {
      for (const statement of sql) {
        await manager.query(statement);
      }
    });
    return () =>
      app.services.db.write((manager) =>
        manager.query(
          app.services.db.isSqlite
            ? 'DROP TRIGGER fail_response_store'
            : 'DROP TRIGGER fail_response_store ON idempotency_key',
        ),
      );
  }

  it('executes a mutation once and replays its response to a retry with the same body', async () => {
    const first = await send(full(), CREATE_BOARD, { name: 'Ops' }, 'key-1');
    const retry = await send(full(), CREATE_BOARD, { name: 'Ops' }, 'key-1');

    expect(first.status).toBe(200);
    expect(JSON.parse(first.text)).toMatchObject({ data: { createBoard: { name: 'Ops' } } });
    expect(first.replayed).toBeNull();
    expect(retry.status).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(retry.replayed).toBe('true');
    expect(await boardNames()).toEqual(['Ops']);
    expect(await succeededCount()).toBe(1);
    const row = await keyRow(app.identities.full.token.id, 'key-1');
    expect(row?.state).toBe(IdempotencyState.COMPLETED);
    expect(row && row.expiresAt.getTime() - row.createdAt.getTime()).toBe(24 * 60 * 60 * 1000);
  });

  it('refuses the same key with another body (BAD_USER_INPUT) and changes nothing', async () => {
    await send(full(), CREATE_BOARD, { name: 'Ops' }, 'key-1');
    const reused = await send(full(), CREATE_BOARD, { name: 'Support' }, 'key-1');
    const otherQuery = await send(
      full(),
      `mutation($name: String!) { createBoard(input: {name: $name}) { id } }`,
      { name: 'Ops' },
      'key-1',
    );

    for (const refused of [reused, otherQuery]) {
      expect(refused.status).toBe(422);
      expect(refused.code).toBe('BAD_USER_INPUT');
      expect(refused.text).toContain('different request body');
      expect(refused.replayed).toBeNull();
    }
    expect(await boardNames()).toEqual(['Ops']);
  });

  it('executes once for ten concurrent requests with one key, all answered alike', async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => send(full(), CREATE_BOARD, { name: 'Ops' }, 'same')),
    );

    expect(await boardNames()).toEqual(['Ops']);
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([200]));
    expect(new Set(responses.map((r) => r.text)).size).toBe(1);
    expect(responses.filter((r) => r.replayed === 'true')).toHaveLength(9);
    expect(JSON.parse(responses[0].text)).toMatchObject({ data: { createBoard: { name: 'Ops' } } });
  });

  it('keeps keys per token: the same key from two tokens executes twice', async () => {
    const second = await app.createToken('second script', TokenPermission.FULL_ACCESS);
    const a = await send(full(), CREATE_BOARD, { name: 'Ops' }, 'shared-key');
    const b = await send(second.secret, CREATE_BOARD, { name: 'Ops' }, 'shared-key');

    expect([a.replayed, b.replayed]).toEqual([null, null]);
    expect(a.text).not.toBe(b.text);
    expect(await boardNames()).toEqual(['Ops', 'Ops']);
  });

  it('denies a READ_ONLY token’s mutation each time, as without a key, and uses up no key', async () => {
    // A replay is authorized as if it ran now (API.md section 4): a token that may not run the
    // mutation never reaches its keys, so a later upgrade executes the same request normally.
    const readOnly = app.identities.readOnly;
    const first = await send(readOnly.secret, CREATE_BOARD, { name: 'Ops' }, 'denied');
    const retry = await send(readOnly.secret, CREATE_BOARD, { name: 'Ops' }, 'denied');

    expect([first.code, retry.code]).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect([first.replayed, retry.replayed]).toEqual([null, null]);
    expect(await boardNames()).toEqual([]);
    expect(await keyRow(readOnly.token.id, 'denied')).toBeNull();
    const denied = await app.services.db.reader.countBy(AuditEvent, {
      action: 'createBoard',
      outcome: AuditOutcome.DENIED,
    });
    expect(denied).toBe(2);
  });

  it('never stores a secret: a retry of createApiToken learns it ran, without the secret', async () => {
    const create = `mutation($name: String!) {
      createApiToken(input: {name: $name, permission: READ_ONLY}) { secret token { id } }
    }`;
    const first = await send(full(), create, { name: 'dashboard' }, 'new-token');
    const retry = await send(full(), create, { name: 'dashboard' }, 'new-token');

    const secret = (JSON.parse(first.text) as { data: { createApiToken: { secret: string } } }).data
      .createApiToken.secret;
    expect(secret).toMatch(/^sgp_/);
    expect(retry.status).toBe(409);
    expect(retry.code).toBe('BAD_USER_INPUT');
    expect(retry.replayed).toBe('true');
    expect(retry.text).toContain('shown only once');
    expect(retry.text).not.toContain(secret);
    const row = await keyRow(app.identities.full.token.id, 'new-token');
    expect(row?.responseBody).not.toContain(secret);
    const named = await app.services.db.reader.countBy(ApiToken, { name: 'dashboard' });
    expect(named).toBe(1);
  });

  it('ignores the header on queries, even an invalid one', async () => {
    const responses = [
      await send(full(), BOARDS, {}, 'query-key'),
      await send(full(), BOARDS, {}, 'query-key'),
      await send(full(), BOARDS, {}, ''),
    ];

    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.replayed).toBeNull();
      expect(JSON.parse(response.text)).toEqual({
        data: { boards: { totalCount: 0 } },
        extensions: { cost: expect.any(Object) },
      });
    }
    expect(await app.services.db.reader.count(IdempotencyKey)).toBe(0);
  });

  it.each([
    ['empty', ''],
    ['300 characters', 'k'.repeat(300)],
    ['a control character', 'key\twith-tab'],
    ['a space', 'key with space'],
  ])('refuses a key that is %s with 400 BAD_USER_INPUT', async (_what, key) => {
    const response = await send(full(), CREATE_BOARD, { name: 'Ops' }, key);

    expect(response.status).toBe(400);
    expect(response.code).toBe('BAD_USER_INPUT');
    expect(response.text).toContain('Idempotency-Key header must be 1–255 visible ASCII');
    expect(await boardNames()).toEqual([]);
    expect(await app.services.db.reader.count(IdempotencyKey)).toBe(0);
  });

  it('accepts a key of exactly 255 visible characters', async () => {
    const key = '!~'.repeat(127) + 'z';
    const first = await send(full(), CREATE_BOARD, { name: 'Ops' }, key);
    const retry = await send(full(), CREATE_BOARD, { name: 'Ops' }, key);

    expect(first.status).toBe(200);
    expect(retry.replayed).toBe('true');
    expect(await boardNames()).toEqual(['Ops']);
  });

  it('executes again once the stored key has expired', async () => {
    const tokenId = app.identities.full.token.id;
    await send(full(), CREATE_BOARD, { name: 'Ops' }, 'old-key');
    await app.services.db.write((manager) =>
      manager.update(IdempotencyKey, { tokenId, key: 'old-key' }, { expiresAt: ago(1000) }),
    );

    const again = await send(full(), CREATE_BOARD, { name: 'Ops' }, 'old-key');

    expect(again.status).toBe(200);
    expect(again.replayed).toBeNull();
    expect(await boardNames()).toEqual(['Ops', 'Ops']);
    const row = await keyRow(tokenId, 'old-key');
    expect(row?.expiresAt).toEqual(new Date(clock.now().getTime() + KEY_LIFETIME_MS));
  });

  it('purges expired keys and keeps live ones', async () => {
    const tokenId = app.identities.full.token.id;
    await send(full(), CREATE_BOARD, { name: 'Ops' }, 'expired');
    await send(full(), CREATE_BOARD, { name: 'Support' }, 'live');
    await app.services.db.write((manager) =>
      manager.update(IdempotencyKey, { tokenId, key: 'expired' }, { expiresAt: ago(1000) }),
    );

    expect(await app.services.idempotency.purgeExpired()).toBe(1);
    expect(await keyRow(tokenId, 'expired')).toBeNull();
    expect(await keyRow(tokenId, 'live')).not.toBeNull();
  });

  it('behaves as before without the header: every request executes', async () => {
    const a = await send(full(), CREATE_BOARD, { name: 'Ops' });
    const b = await send(full(), CREATE_BOARD, { name: 'Ops' });

    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.replayed, b.replayed]).toEqual([null, null]);
    expect(await boardNames()).toEqual(['Ops', 'Ops']);
    expect(await app.services.db.reader.count(IdempotencyKey)).toBe(0);
  });

  it('does not use up a key on a request refused before execution', async () => {
    const invalid = await send(full(), 'mutation { createBoard { nope } }', {}, 'key-1');
    const valid = await send(full(), CREATE_BOARD, { name: 'Ops' }, 'key-1');

    expect(invalid.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(valid.status).toBe(200);
    expect(valid.replayed).toBeNull();
    expect(await boardNames()).toEqual(['Ops']);
  });

  it('replays the error of a failed mutation, which committed nothing', async () => {
    const tokenId = app.identities.full.token.id;
    const id = randomUUID();
    const first = await send(full(), DELETE_BOARD, { id }, 'failed');
    const retry = await send(full(), DELETE_BOARD, { id }, 'failed');

    expect(first.code).toBe('NOT_FOUND');
    expect(retry.replayed).toBe('true');
    expect(retry.status).toBe(first.status);
    expect(retry.text).toBe(first.text);
    const row = await keyRow(tokenId, 'failed');
    expect(row?.state).toBe(IdempotencyState.COMPLETED);
    expect(JSON.parse(row?.responseBody ?? 'null')).toEqual(JSON.parse(first.text));
  });

  it('executes every root field of a request once, and replays them together', async () => {
    const both = `mutation {
      a: createBoard(input: {name: "A"}) { name }
      b: createBoard(input: {name: "B"}) { name }
    }`;
    const first = await send(full(), both, {}, 'both');
    const retry = await send(full(), both, {}, 'both');

    expect(JSON.parse(first.text)).toEqual({
      data: { a: { name: 'A' }, b: { name: 'B' } },
      extensions: { cost: expect.any(Object) },
    });
    expect(retry.replayed).toBe('true');
    expect(retry.text).toBe(first.text);
    expect(await boardNames()).toEqual(['A', 'B']);
  });

  describe('when the instance stops between the commit and the stored response', () => {
    it('has marked the key EXECUTED with the change, and refuses a retry (409) without executing it again', async () => {
      const tokenId = app.identities.full.token.id;
      const restart = await failResponseStores();
      const first = await send(full(), CREATE_BOARD, { name: 'Ops' }, 'crash');
      await restart();

      expect(first.status).toBe(200);
      expect(JSON.parse(first.text)).toMatchObject({ data: { createBoard: { name: 'Ops' } } });
      const marked = await keyRow(tokenId, 'crash');
      expect(marked?.state).toBe(IdempotencyState.EXECUTED);
      expect(marked?.responseBody).toBeNull();

      // Within the takeover time a retry waits, as for a request still running.
      expect(await busyAfterWait(tokenId, 'crash')).toEqual({ kind: 'busy' });

      await age(tokenId, 'crash');
      // The clock stands still from here: a retry that waited for the key could never end, so
      // an answer at all shows it was refused at once.
      const retry = await send(full(), CREATE_BOARD, { name: 'Ops' }, 'crash');

      expect(retry.status).toBe(409);
      expect(retry.code).toBe('BAD_REQUEST');
      expect(retry.text).toContain('executed, but the server stopped before its response');
      expect(retry.replayed).toBeNull();
      expect(await boardNames()).toEqual(['Ops']);
      expect(await succeededCount()).toBe(1);
      const row = await keyRow(tokenId, 'crash');
      expect(row?.state).toBe(IdempotencyState.EXECUTED);
      expect(row?.requestId).toBe(marked?.requestId);
    });

    it('marks a request with several root fields on its first change, whatever follows', async () => {
      const restart = await failResponseStores();
      const first = await send(
        full(),
        `mutation($id: ID!) {
          a: createBoard(input: {name: "A"}) { name }
          b: createBoard(input: {name: "B"}) { name }
          gone: deleteBoard(id: $id)
        }`,
        { id: randomUUID() },
        'several',
      );
      await restart();

      // deleteBoard returns a non-null String: its error nulls the whole data.
      expect(JSON.parse(first.text)).toMatchObject({ data: null });
      expect(first.code).toBe('NOT_FOUND');
      expect(await boardNames()).toEqual(['A', 'B']);
      const row = await keyRow(app.identities.full.token.id, 'several');
      expect(row?.state).toBe(IdempotencyState.EXECUTED);
    });

    it('leaves a failed mutation’s key IN_PROGRESS, so a retry takes it over and executes', async () => {
      const tokenId = app.identities.full.token.id;
      const id = randomUUID();
      const restart = await failResponseStores();
      const first = await send(full(), DELETE_BOARD, { id }, 'failed');
      await restart();

      expect(first.code).toBe('NOT_FOUND');
      expect((await keyRow(tokenId, 'failed'))?.state).toBe(IdempotencyState.IN_PROGRESS);

      await age(tokenId, 'failed');
      const retry = await send(full(), DELETE_BOARD, { id }, 'failed');

      expect(retry.code).toBe('NOT_FOUND');
      expect(retry.replayed).toBeNull();
      expect((await keyRow(tokenId, 'failed'))?.state).toBe(IdempotencyState.COMPLETED);
    });
  });

  describe('the EXECUTED mark inside the change’s transaction', () => {
    /** A claim of `key` won by `requestId`, and an actor whose changes mark it. */
    async function claimed(key: string, requestId: string) {
      const outcome = await app.services.idempotency.begin(
        app.identities.full.token.id,
        key,
        HASH,
        requestId,
      );
      if (outcome.kind !== 'execute') {
        throw new Error(`expected to win the claim, got ${outcome.kind}`);
      }
      const actor = await app.contextFor(full());
      actor.audit.enter('createBoard');
      return { claim: outcome.claim, actor };
    }

    it('rolls back with a change that fails after it', async () => {
      const { claim, actor } = await claimed('k', 'request-1');
      actor.audit.withinChange = async (manager) => {
        await app.services.idempotency.markExecuted(manager, claim);
        throw new Error('a later step of the change failed');
      };

      await expect(app.services.boards.create(actor, { name: 'Ops' })).rejects.toThrow(
        'a later step of the change failed',
      );

      expect(await boardNames()).toEqual([]);
      const row = await keyRow(app.identities.full.token.id, 'k');
      expect(row?.state).toBe(IdempotencyState.IN_PROGRESS);
      expect(row?.requestId).toBe('request-1');
    });

    it('rolls the change back when a retry took the key over meanwhile', async () => {
      const tokenId = app.identities.full.token.id;
      const { claim, actor } = await claimed('k', 'slow-request');
      await age(tokenId, 'k');
      const retry = await app.services.idempotency.begin(tokenId, 'k', HASH, 'retry');
      expect(retry.kind).toBe('execute');
      actor.audit.withinChange = (manager) => app.services.idempotency.markExecuted(manager, claim);

      await expect(app.services.boards.create(actor, { name: 'Ops' })).rejects.toMatchObject({
        extensions: { code: 'BAD_REQUEST' },
      });

      expect(await boardNames()).toEqual([]);
      expect(await succeededCount()).toBe(0);
      const row = await keyRow(tokenId, 'k');
      expect(row?.state).toBe(IdempotencyState.IN_PROGRESS);
      expect(row?.requestId).toBe('retry');
    });
  });

  describe('a key held by another request', () => {
    const hold = (createdAt: Date, state = IdempotencyState.IN_PROGRESS) =>
      app.services.db.write((manager) =>
        manager.insert(IdempotencyKey, {
          tokenId: app.identities.full.token.id,
          key: 'held',
          requestHash: HASH,
          requestId: 'another-request',
          state,
          responseStatus: null,
          responseBody: null,
          createdAt,
          expiresAt: new Date(createdAt.getTime() + 24 * 60 * 60 * 1000),
        }),
      );

    it.each([IdempotencyState.IN_PROGRESS, IdempotencyState.EXECUTED])(
      'waits for that request (%s) and replays its response',
      async (state) => {
        await hold(clock.now(), state);
        let settled = false;
        const waiting = send(full(), CREATE_BOARD, { name: 'Ops' }, 'held').finally(() => {
          settled = true;
        });
        // Reading the clock again and again: the request is in its wait loop, polling the row.
        await clock.read(8);
        expect(settled).toBe(false);

        const stored = JSON.stringify({ data: { createBoard: { id: 'b-1', name: 'Ops' } } });
        await app.services.idempotency.complete(
          { tokenId: app.identities.full.token.id, key: 'held', requestId: 'another-request' },
          { status: 200, body: stored },
        );
        const response = await waiting;

        expect(response.status).toBe(200);
        // The stored response; stored without cost figures, it carries this request's.
        expect(JSON.parse(response.text)).toEqual({
          ...(JSON.parse(stored) as object),
          extensions: { cost: expect.objectContaining({ requestedQueryCost: expect.any(Number) }) },
        });
        expect(response.replayed).toBe('true');
        expect(await boardNames()).toEqual([]);
      },
    );

    it('refuses at once, without executing, a key left EXECUTED for over a minute', async () => {
      await hold(ago(2 * 60 * 1000), IdempotencyState.EXECUTED);

      const response = await send(full(), CREATE_BOARD, { name: 'Ops' }, 'held');

      expect(response.status).toBe(409);
      expect(response.code).toBe('BAD_REQUEST');
      expect(await boardNames()).toEqual([]);
      expect((await keyRow(app.identities.full.token.id, 'held'))?.state).toBe(
        IdempotencyState.EXECUTED,
      );
    });

    it('stops waiting after the wait time and reports the key as busy', async () => {
      await hold(clock.now());

      // Not busy while the clock is short of the wait time (199 ms), busy once it is reached.
      const outcome = await busyAfterWait(app.identities.full.token.id, 'held');

      expect(outcome).toEqual({ kind: 'busy' });
      expect((await keyRow(app.identities.full.token.id, 'held'))?.requestId).toBe(
        'another-request',
      );
    });

    it('takes over a claim abandoned for over a minute and executes', async () => {
      await hold(ago(2 * 60 * 1000));

      const response = await send(full(), CREATE_BOARD, { name: 'Ops' }, 'held');

      expect(response.status).toBe(200);
      expect(response.replayed).toBeNull();
      expect(await boardNames()).toEqual(['Ops']);
      const row = await keyRow(app.identities.full.token.id, 'held');
      expect(row?.state).toBe(IdempotencyState.COMPLETED);
      expect(row?.requestId).not.toBe('another-request');
      expect(JSON.parse(row?.responseBody ?? 'null')).toEqual(JSON.parse(response.text));
    });
  });
});
