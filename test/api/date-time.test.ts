import { TestApp } from '../helpers/test-app';

const CREATE = `mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token { id expiresAt } } }`;
const GET = `query($id: ID!) { apiToken(id: $id) { id expiresAt status } }`;

// API.md section 5: after conversion to UTC a DateTime must be a real calendar instant in the
// years 1970–9999, and what is stored is exactly what the API returns.
describe('DateTime range and calendar', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await TestApp.start();
  });
  afterAll(() => app.close());

  const create = (expiresAt: string) =>
    app.execute<{ createApiToken: { token: { id: string; expiresAt: string } } }>(
      app.identities.full.secret,
      CREATE,
      { input: { name: 'dated', permission: 'READ_ONLY', expiresAt } },
    );

  it.each([
    ['an offset that carries it past 9999', '9999-12-31T23:59:59-23:59'],
    ['year 10000', '+010000-01-01T00:00:00.000Z'],
    ['a day February does not have', '2027-02-30T00:00:00Z'],
    ['April 31', '2027-04-31T12:00:00.000Z'],
    ['hour 24', '2027-01-01T24:00:00Z'],
    ['second 60', '2027-01-01T23:59:60Z'],
    ['an offset of 24 hours', '2027-01-01T00:00:00+24:00'],
    ['month 13', '2027-13-01T00:00:00Z'],
  ])('refuses %s with BAD_USER_INPUT and stores nothing', async (_case, value) => {
    const before = await app.services.tokens.listAll(app.organization.id);
    const response = await create(value);
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors?.[0]?.message).toMatch(/DateTime/);
    expect(response.errors?.[0]?.message).not.toContain(value);
    expect(await app.services.tokens.listAll(app.organization.id)).toHaveLength(before.length);
  });

  it.each([
    ['the last millisecond of 9999', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['an offset that stays within 9999', '9999-12-31T23:59:59+23:59', '9999-12-31T00:00:59.000Z'],
    ['February 29 of a leap year', '2028-02-29T12:00:00+01:30', '2028-02-29T10:30:00.000Z'],
  ])('stores %s exactly as the API returns it', async (_case, value, utc) => {
    const created = await create(value);
    expect(created.errors).toBeUndefined();
    expect(created.data?.createApiToken.token.expiresAt).toBe(utc);
    const read = await app.execute<{ apiToken: { expiresAt: string; status: string } }>(
      app.identities.full.secret,
      GET,
      { id: created.data?.createApiToken.token.id },
    );
    expect(read.data?.apiToken).toEqual({
      id: created.data?.createApiToken.token.id,
      expiresAt: utc,
      status: 'ACTIVE',
    });
  });

  it.each([
    ['a day February does not have', '2027-02-30T00:00:00Z'],
    ['year 10000', '+010000-01-01T00:00:00.000Z'],
  ])(
    'refuses %s written in the document, not only as a variable, with BAD_USER_INPUT',
    async (_case, value) => {
      const before = await app.services.tokens.listAll(app.organization.id);
      const response = await app.execute(
        app.identities.full.secret,
        `mutation { createApiToken(input: { name: "inline", permission: READ_ONLY, expiresAt: ${JSON.stringify(value)} }) { token { id } } }`,
      );
      expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.message).toMatch(/DateTime/);
      // Where the value is (found by a new user: the error pointed nowhere in the document).
      const column =
        'mutation { createApiToken(input: { name: "inline", permission: READ_ONLY, expiresAt: '
          .length + 1;
      expect(response.errors?.[0]).toMatchObject({ locations: [{ line: 1, column }] });
      expect(await app.services.tokens.listAll(app.organization.id)).toHaveLength(before.length);
    },
  );
});
