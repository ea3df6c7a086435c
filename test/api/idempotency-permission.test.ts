import { AuditEvent, AuditOutcome } from '../../src/audit/audit-event.entity';
import { Monitor } from '../../src/monitors/monitor.entity';
import { TokenPermission } from '../../src/tokens/token-permission';
import { TestApp } from '../helpers/test-app';

const CREATE_BOARD = `mutation { createBoard(input: {name: "Ops"}) { id } }`;
const CREATE_MONITOR = `mutation($boardId: ID!) {
  createMonitor(input: {boardId: $boardId, displayName: "API", monitorType: WEBSITE,
    url: "https://api.example.com", requestHeaders: [{name: "X-Api-Key", value: "hunter2-value"}]}) {
    id requestHeaders { name value } } }`;
const DOWNGRADE = `mutation($id: ID!) {
  updateApiToken(id: $id, input: {permission: READ_ONLY}) { id permission } }`;

// API.md section 4: a permission change holds from the very next request, replays included: a
// replay with an Idempotency-Key is authorized as if the request ran now.
describe('Idempotency-Key replays after a permission change', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await TestApp.start();
  });
  afterEach(() => app.close());

  async function send(secret: string, variables: Record<string, unknown>) {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: app.client(secret).headers({ 'Idempotency-Key': 'k' }),
      body: JSON.stringify({ query: CREATE_MONITOR, variables }),
    });
    const text = await response.text();
    return {
      status: response.status,
      replayed: response.headers.get('idempotency-replayed'),
      text,
      body: JSON.parse(text) as {
        data?: { createMonitor: { id: string } | null } | null;
        errors?: { extensions?: { code?: string } }[];
      },
    };
  }

  it('refuses the replay of a downgraded token as FORBIDDEN, without the stored full-access data', async () => {
    const writer = await app.createToken('automation', TokenPermission.FULL_ACCESS);
    const board = await app
      .client(writer.secret)
      .data<{ createBoard: { id: string } }>(CREATE_BOARD);
    const variables = { boardId: board.createBoard.id };

    const first = await send(writer.secret, variables);
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    expect(first.text).toContain('hunter2-value');

    await app.asFullAccess().data(DOWNGRADE, { id: writer.token.id });

    const retry = await send(writer.secret, variables);
    expect(retry.replayed).toBeNull();
    expect(retry.text).not.toContain('hunter2-value');
    expect(retry.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(retry.body.data ?? null).toBeNull();
    expect(await app.services.db.reader.countBy(Monitor, { boardId: board.createBoard.id })).toBe(
      1,
    );
    expect(
      await app.services.db.reader.countBy(AuditEvent, {
        tokenId: writer.token.id,
        action: 'createMonitor',
        outcome: AuditOutcome.DENIED,
      }),
    ).toBe(1);
  });

  it('still replays for a token that keeps its full access', async () => {
    const writer = await app.createToken('automation', TokenPermission.FULL_ACCESS);
    const board = await app
      .client(writer.secret)
      .data<{ createBoard: { id: string } }>(CREATE_BOARD);
    const variables = { boardId: board.createBoard.id };
    const first = await send(writer.secret, variables);
    const retry = await send(writer.secret, variables);
    expect(retry.replayed).toBe('true');
    expect(retry.text).toBe(first.text);
  });
});
