import { describe, expect, it } from 'vitest';
import { isWindowOpen, nextWindowOpening, parseBusinessHours, type BusinessHours } from '../../src/core/business-hours.js';

const weekdays = parseBusinessHours('Mon-Fri 09:00-18:00') as BusinessHours;

describe('business hours', () => {
  it('is open on a weekday afternoon and closed at night and on weekends (UTC)', () => {
    expect(isWindowOpen(weekdays, new Date('2026-11-24T14:00:00Z'), 'UTC')).toBe(true); // Tuesday
    expect(isWindowOpen(weekdays, new Date('2026-11-24T18:00:00Z'), 'UTC')).toBe(false);
    expect(isWindowOpen(weekdays, new Date('2026-11-24T08:59:00Z'), 'UTC')).toBe(false);
    expect(isWindowOpen(weekdays, new Date('2026-11-28T12:00:00Z'), 'UTC')).toBe(false); // Saturday
  });

  it('honours the time zone', () => {
    // 08:30 UTC is 09:30 in Paris (CET, UTC+1 in November).
    expect(isWindowOpen(weekdays, new Date('2026-11-24T08:30:00Z'), 'Europe/Paris')).toBe(true);
    expect(isWindowOpen(weekdays, new Date('2026-11-24T08:30:00Z'), 'UTC')).toBe(false);
  });

  it('finds the next opening across a weekend', () => {
    expect(nextWindowOpening(weekdays, new Date('2026-11-27T19:00:00Z'), 'UTC')?.toISOString()).toBe('2026-11-30T09:00:00.000Z');
    const halfPast = parseBusinessHours('Mon 08:30-08:45') as BusinessHours;
    expect(nextWindowOpening(halfPast, new Date('2026-11-24T10:00:00Z'), 'UTC')?.toISOString()).toBe('2026-11-30T08:30:00.000Z');
  });

  it('accepts day lists and wrapping ranges, and "always"', () => {
    expect(parseBusinessHours('Mon,Wed,Fri 08:00-12:00')).toMatchObject({ days: [1, 3, 5] });
    expect(parseBusinessHours('Sat-Sun 10:00-11:00')).toMatchObject({ days: [0, 6] });
    expect(parseBusinessHours('always')).toEqual({ kind: 'always' });
    expect(typeof parseBusinessHours('Mon-Fri 18:00-09:00')).toBe('string');
    expect(typeof parseBusinessHours('Funday 09:00-10:00')).toBe('string');
  });
});
