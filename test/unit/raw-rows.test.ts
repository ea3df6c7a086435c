import { DateUtils } from 'typeorm/util/DateUtils';
import { isoTimestamp } from '../../src/db/raw-rows';

/**
 * Raw list rows must serialize timestamps exactly as the entities did: what TypeORM writes for a
 * Date, read back raw, gives that Date's toISOString().
 */
describe('isoTimestamp', () => {
  it('gives the ISO string of the Date that TypeORM stored on SQLite', () => {
    for (const iso of [
      '2026-03-01T12:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2027-01-01T00:00:00.001Z',
      '2026-07-15T08:30:05.120Z',
    ]) {
      const stored = DateUtils.mixedDateToUtcDatetimeString(new Date(iso)) as string;
      expect(stored).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
      expect(isoTimestamp(stored)).toBe(iso);
    }
  });

  it('reads other stored forms as TypeORM hydrates them (UTC when no zone is given)', () => {
    expect(isoTimestamp('2026-03-01 12:00:00')).toBe('2026-03-01T12:00:00.000Z');
    expect(isoTimestamp('2026-03-01 12:00')).toBe('2026-03-01T12:00:00.000Z');
    expect(isoTimestamp('2026-03-01T12:00:00.5+02:00')).toBe('2026-03-01T10:00:00.500Z');
  });

  it('passes PostgreSQL Dates and nulls through', () => {
    expect(isoTimestamp(new Date('2026-03-01T12:00:00.123Z'))).toBe('2026-03-01T12:00:00.123Z');
    expect(isoTimestamp(null)).toBeNull();
  });
});
