import { ConfigError, loadConfig } from '../../src/core/config';

describe('audit settings', () => {
  it('defaults to 60 denials a minute and 400 days', () => {
    expect(loadConfig({}).audit).toEqual({ deniedPerMinute: 60, retentionDays: 400 });
  });

  it('reads AUDIT_DENIED_PER_MINUTE and AUDIT_RETENTION_DAYS', () => {
    expect(loadConfig({ AUDIT_DENIED_PER_MINUTE: '0', AUDIT_RETENTION_DAYS: '30' }).audit).toEqual({
      deniedPerMinute: 0,
      retentionDays: 30,
    });
  });

  it.each([
    ['AUDIT_DENIED_PER_MINUTE', 'many'],
    ['AUDIT_RETENTION_DAYS', '0'],
    ['AUDIT_RETENTION_DAYS', '-5'],
  ])('refuses %s=%s with one clear line', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be`));
  });
});
