import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Issue 14 item 9: the first secret is printed on stdout, where the JSON logs also go. The README
 * says so where a new user reads how to start, with what to do about it.
 */
describe('README on the first secret', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.slice(readme.indexOf('## Start'), readme.indexOf('## A first query'));

  it('says the secret goes to stdout, together with the JSON logs', () => {
    expect(start).toMatch(/stdout/);
    expect(start).toMatch(/JSON log/);
  });

  it('advises reading it from the terminal or the container’s first start, and rotating it once stored', () => {
    expect(start).toMatch(/terminal/);
    expect(start).toMatch(/first start/);
    expect(start).toMatch(/rotateApiToken/);
  });
});
