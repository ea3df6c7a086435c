import { readFileSync } from 'node:fs';
import { type GraphQLInputObjectType, buildSchema, getNamedType } from 'graphql';
import { csv, csvCell, ndjson } from '../../src/server/exports/export-formats';
import { exportLists } from '../../src/server/exports/export-lists';
import { parseParams } from '../../src/server/exports/export-params';

/**
 * The row formats of API.md section 12 (RFC 4180 quoting, OWASP's formula prefix, NDJSON's
 * nulls) and the exports' parameters, which must stay the filters and orders of the GraphQL
 * lists of the committed schema.
 */
describe('export formats', () => {
  it('quotes a CSV cell only when it holds a comma, a quote or a line break, doubling quotes', () => {
    expect(csvCell('plain text')).toBe('plain text');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\r\nbreak')).toBe('"line\r\nbreak"');
    expect(csvCell('only\nLF')).toBe('"only\nLF"');
    expect(csvCell('Ünïcødé ✓ 😀')).toBe('Ünïcødé ✓ 😀');
  });

  it('prefixes a text cell a spreadsheet would run as a formula with a quote', () => {
    for (const start of ['=', '+', '-', '@']) {
      expect(csvCell(`${start}SUM(A1)`)).toBe(`'${start}SUM(A1)`);
    }
    expect(csvCell('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('prefixes a cell starting with a tab or a carriage return too (OWASP: both start formulas)', () => {
    expect(csvCell('\t=1+2')).toBe(`'\t=1+2`);
    expect(csvCell('\r=1+2')).toBe(`"'\r=1+2"`);
    expect(csvCell('a\tb')).toBe('a\tb');
  });

  it('writes null as an empty cell, id lists separated by spaces, booleans and numbers as text', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(['a', 'b', 'c'])).toBe('a b c');
    expect(csvCell([])).toBe('');
    expect(csvCell(false)).toBe('false');
    expect(csvCell(5)).toBe('5');
  });

  it('ends CSV rows with CRLF after a header row, and NDJSON rows with LF in column order', () => {
    const columns = ['id', 'name', 'ids', 'gone'];
    const record = { name: 'x,y', id: '1', ids: ['a', 'b'], gone: null };
    expect(csv.head(columns) + csv.row(record, columns)).toBe(
      'id,name,ids,gone\r\n1,"x,y",a b,\r\n',
    );
    expect(ndjson.row(record, columns)).toBe(
      '{"id":"1","name":"x,y","ids":["a","b"],"gone":null}\n',
    );
  });

  it('escapes NEL, U+2028 and U+2029 in NDJSON: line readers that split on them keep one row a line', () => {
    const line = ndjson.row({ name: 'a\u2028b\u2029c\u0085d' }, ['name']);
    expect(line).toBe('{"name":"a\\u2028b\\u2029c\\u0085d"}\n');
    // Python's str.splitlines() breaks on each of these, and on \v, \f and \x1c–\x1e, which
    // JSON.stringify escapes as it does every control character.
    const breaks = ['\v', '\f', '\x1c', '\x1d', '\x1e', '\u0085', '\u2028', '\u2029', '\r'];
    expect(breaks.filter((c) => line.includes(c))).toEqual([]);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual({ name: 'a\u2028b\u2029c\u0085d' });
  });
});

describe('export parameters', () => {
  const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));
  const lists = exportLists({} as never);
  const query = schema.getQueryType()?.getFields();

  it.each([
    ['incidents', 'incidents'],
    ['monitors', 'monitors'],
    ['status-events', 'statusEvents'],
  ])('%s takes exactly the filter fields and orders of Query.%s', (name, field) => {
    const args = query?.[field]?.args ?? [];
    const filter = getNamedType(args.find((arg) => arg.name === 'filter')?.type) as
      GraphQLInputObjectType | undefined;
    const expected = [
      ...Object.keys(filter?.getFields() ?? {}),
      ...args.map((arg) => arg.name).filter((n) => !['filter', 'first', 'after'].includes(n)),
    ];
    expect(Object.keys(lists.get(name)?.params ?? {}).sort()).toEqual(expected.sort());
  });

  const incidentParams = lists.get('incidents')?.params ?? {};
  const parse = (text: string) => parseParams(new URLSearchParams(text), incidentParams);

  it('parses values with the scalars and enums of the GraphQL list', () => {
    expect(
      parse('severity=MAJOR&includeDeleted=true&startedAfter=2027-01-01T02:00:00%2B02:00'),
    ).toEqual({
      severity: 'MAJOR',
      includeDeleted: true,
      startedAfter: new Date('2027-01-01T00:00:00.000Z'),
    });
  });

  it.each([
    ['severity=HUGE', 'severity must be one of MINOR, MAJOR, MAINTENANCE.'],
    ['includeDeleted=yes', 'includeDeleted must be true or false.'],
    ['orderBy=NAME', 'orderBy must be one of STARTED_AT_DESC, STARTED_AT_ASC, UPDATED_AT_ASC.'],
    ['startedAfter=2027-02-30T00:00:00Z', 'startedAfter must be an ISO 8601 date-time'],
    // Found by a new user: the message said "with a time zone" to someone who had sent one.
    ['startedAfter=2027-01-01T00:00:00+02:00', 'send it as %2B (e.g. %2B02:00)'],
    ['severity=MAJOR&severity=MINOR', 'severity may be given once.'],
    // Found by a new user: the message did not say which parameter.
    ['first=10', 'This export does not know the parameter first; it takes '],
    ['boardID=x', 'This export does not know the parameter boardID; it takes boardId, '],
    ['%3Cscript%3E=1', 'A parameter this export does not know was given; it takes '],
    ['sgp_x=1', 'A parameter this export does not know was given; it takes '],
    ['access_token=sgp_x', 'A token is never taken from the URL (access_token)'],
  ])('refuses %s as BAD_USER_INPUT without echoing the value', (text, message) => {
    expect(() => parse(text)).toThrow(message);
    try {
      parse(text);
    } catch (error) {
      expect((error as { extensions: { code: string } }).extensions.code).toBe('BAD_USER_INPUT');
      expect((error as Error).message).not.toMatch(/HUGE|yes|NAME|sgp_x|2027-02-30/);
    }
  });
});
