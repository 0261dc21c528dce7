import { describe, expect, it } from 'vitest';
import type { BusinessHours } from '../../protocol/index.ts';
import { businessHoursOf, hoursFormOf, timeZoneChoices } from '../../console/lib/business-hours-form.ts';

describe('console: the business-hours form', () => {
  it('starts an always-open site on weekdays 9–17 in the given zone, and saves it as null', () => {
    const form = hoursFormOf(null, 'Europe/Paris');
    expect(form.alwaysOpen).toBe(true);
    expect(form.timeZone).toBe('Europe/Paris');
    expect(businessHoursOf(form)).toEqual({ hours: null });
    expect(businessHoursOf({ ...form, alwaysOpen: false })).toEqual({
      hours: {
        timeZone: 'Europe/Paris',
        days: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] },
      },
    });
  });

  it('gives back a stored schedule unchanged, later intervals of a day included', () => {
    const stored: BusinessHours = {
      timeZone: 'America/New_York',
      days: { mon: [['13:00', '18:00'], ['08:00', '12:00']], sat: [['10:00', '14:00']] },
    };
    const form = hoursFormOf(stored, 'Europe/Paris');
    expect(form.alwaysOpen).toBe(false);
    expect(form.days.mon).toEqual({ open: true, from: '08:00', to: '12:00', more: [['13:00', '18:00']] });
    expect(form.days.tue.open).toBe(false);
    expect(businessHoursOf(form)).toEqual({
      hours: { timeZone: 'America/New_York', days: { mon: [['08:00', '12:00'], ['13:00', '18:00']], sat: [['10:00', '14:00']] } },
    });
  });

  it('drops every interval of a day that is closed', () => {
    const form = hoursFormOf({ timeZone: 'UTC', days: { mon: [['08:00', '12:00'], ['13:00', '18:00']], tue: [['09:00', '17:00']] } }, 'UTC');
    form.days.mon.open = false;
    expect(businessHoursOf(form)).toEqual({ hours: { timeZone: 'UTC', days: { tue: [['09:00', '17:00']] } } });
  });

  it('refuses an interval that closes before it opens, naming the day', () => {
    const form = hoursFormOf(null, 'UTC');
    form.alwaysOpen = false;
    form.days.wed = { open: true, from: '17:00', to: '09:00', more: [] };
    expect(businessHoursOf(form)).toEqual({ problem: 'Wednesday: the opening time (17:00) must be before the closing time (09:00).' });
    form.days.wed.to = '17:00';
    expect(businessHoursOf(form)).toHaveProperty('problem', expect.stringContaining('Wednesday'));
  });

  it('refuses a cleared time and a week with no open day', () => {
    const form = hoursFormOf(null, 'UTC');
    form.alwaysOpen = false;
    form.days.fri.to = '';
    expect(businessHoursOf(form)).toEqual({ problem: 'Friday: enter an opening and a closing time.' });
    for (const day of Object.values(form.days)) day.open = false;
    expect(businessHoursOf(form)).toHaveProperty('problem', expect.stringContaining('Always open'));
  });

  it('offers the zone in use even when the browser does not list it', () => {
    const zones = timeZoneChoices('Europe/Paris');
    expect(zones).toContain('Europe/Paris');
    expect(zones.filter((z) => z === 'Europe/Paris')).toHaveLength(1);
    expect(timeZoneChoices('Mars/Olympus_Mons')[0]).toBe('Mars/Olympus_Mons');
  });
});
