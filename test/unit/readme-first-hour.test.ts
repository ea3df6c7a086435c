import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Issue 14 item 16: a new user follows the README top to bottom. The automation example needs a
 * board and a monitor, so the README shows how to make them first; and it says how
 * suggestedReadOnly works before anyone wonders why the list is empty.
 */
describe('README for the first hour', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

  it('creates a board and a monitor before the automation example uses their ids', () => {
    const board = readme.indexOf('mutation CreateCheckoutBoard');
    const monitor = readme.indexOf('mutation CreateCheckoutMonitor');
    const automation = readme.indexOf('setMonitorStatus(id: $monitor');
    expect(board).toBeGreaterThan(0);
    expect(monitor).toBeGreaterThan(board);
    expect(automation).toBeGreaterThan(monitor);
    const between = readme.slice(board, automation);
    expect(between).toMatch(/BOARD_ID/);
    expect(between).toMatch(/MONITOR_ID/);
  });

  it('says suggestedReadOnly stays empty for tokens younger than 30 days', () => {
    const permissionModel = readme.slice(
      readme.indexOf('## The permission model'),
      readme.indexOf('## Status data'),
    );
    expect(permissionModel).toMatch(/suggestedReadOnly/);
    expect(permissionModel).toMatch(/empty[^.]*30 days|30 days[^.]*empty/);
  });
});
