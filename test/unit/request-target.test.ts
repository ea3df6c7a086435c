import { originForm } from '../../src/server/request-target';

describe('a request target in origin form', () => {
  it.each([
    ['http://example.com/graphql?query=x', '/graphql?query=x'],
    ['HTTPS://example.com:8443/export/incidents.csv', '/export/incidents.csv'],
    ['http://[::1/graphql?access_token=a', '/graphql?access_token=a'],
    ['http://[zz]/export/incidents.ndjson?board=1', '/export/incidents.ndjson?board=1'],
    ['http://example.com?query=x', '/?query=x'],
    ['http://example.com', '/'],
    ['/graphql?query=x', '/graphql?query=x'],
    ['*', '*'],
    ['example.com:443', 'example.com:443'],
  ])('of %s is %s', (target, expected) => {
    expect(originForm(target)).toBe(expected);
  });
});
