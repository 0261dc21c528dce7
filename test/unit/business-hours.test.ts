import { describe, expect, it } from 'vitest';
import { businessHoursProblem, isTimeZone, openingState } from '../../server/services/business-hours.ts';

const weekdays = { timeZone: 'Europe/Paris', days: { mon: [['09:00', '17:30']], fri: [['09:00', '12:00'], ['14:00', '17:00']] } } as
  { timeZone: string; days: Record<string, [string, string][]> };

describe('business hours', () => {
  it('knows IANA time zones through Intl', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('names what is wrong with a schedule', () => {
    expect(businessHoursProblem(weekdays)).toBeNull();
    expect(businessHoursProblem({ ...weekdays, timeZone: 'Paris' })).toMatch(/"Paris" is not an IANA time zone/);
    expect(businessHoursProblem({ timeZone: 'UTC', days: { mon: [['17:00', '09:00']] } })).toMatch(/mon: 17:00 is not before 09:00/);
    expect(businessHoursProblem({ timeZone: 'UTC', days: { mon: [['09:00', '24:00']] } })).toMatch(/HH:MM/);
    expect(businessHoursProblem({ timeZone: 'UTC', days: { tue: [['09:00', '12:00'], ['11:00', '13:00']] } })).toMatch(/overlaps/);
  });

  it('is open inside a range in the site\'s zone, with exclusive ends', () => {
    // Monday 30 November 2026; Paris is UTC+1 in winter.
    expect(openingState(weekdays, new Date('2026-11-30T08:00:00Z'))).toEqual({ open: true, opensAt: null });
    expect(openingState(weekdays, new Date('2026-11-30T16:29:00Z')).open).toBe(true);
    expect(openingState(weekdays, new Date('2026-11-30T16:30:00Z')).open).toBe(false);
  });

  it('gives the next opening as an instant: later today, or the next open day', () => {
    // Monday 07:00 in Paris: opens at 09:00 Paris = 08:00 UTC.
    expect(openingState(weekdays, new Date('2026-11-30T06:00:00Z'))).toEqual({ open: false, opensAt: '2026-11-30T08:00:00.000Z' });
    // Monday evening: next is Friday 09:00.
    expect(openingState(weekdays, new Date('2026-11-30T18:00:00Z'))).toEqual({ open: false, opensAt: '2026-12-04T08:00:00.000Z' });
    // Friday lunch break: back at 14:00.
    expect(openingState(weekdays, new Date('2026-12-04T12:00:00Z'))).toEqual({ open: false, opensAt: '2026-12-04T13:00:00.000Z' });
    // Friday evening: next Monday.
    expect(openingState(weekdays, new Date('2026-12-04T20:00:00Z')).opensAt).toBe('2026-12-07T08:00:00.000Z');
  });

  it('follows a daylight-saving change between now and the opening', () => {
    // Saturday 28 March 2026 in Paris (UTC+1); Monday 30 March is already summer time (UTC+2).
    expect(openingState(weekdays, new Date('2026-03-28T12:00:00Z')).opensAt).toBe('2026-03-30T07:00:00.000Z');
  });

  it('is always open without a schedule, and never with an empty one', () => {
    expect(openingState(null)).toEqual({ open: true, opensAt: null });
    expect(openingState({ timeZone: 'UTC', days: {} })).toEqual({ open: false, opensAt: null });
  });
});
