import { describe, expect, it } from 'vitest';
import { snoozeUntil } from '../../console/lib/snooze.ts';

// new Date(y, m, d, h) is local time, like the console's choices, so these hold in any TZ.
describe('console: when a snooze ends', () => {
  const wednesdayEvening = new Date(2026, 11, 2, 18, 30); // Wed 2 Dec 2026, 18:30

  it('1 hour is sixty minutes from now', () => {
    expect(snoozeUntil('hour', wednesdayEvening).getTime() - wednesdayEvening.getTime()).toBe(3_600_000);
  });

  it('tomorrow is 9:00 local the next day, across a month end', () => {
    expect(snoozeUntil('tomorrow', wednesdayEvening)).toEqual(new Date(2026, 11, 3, 9));
    expect(snoozeUntil('tomorrow', new Date(2026, 11, 31, 23, 50))).toEqual(new Date(2027, 0, 1, 9));
  });

  it('next Monday is 9:00 on the coming Monday, a week away when today is Monday', () => {
    expect(snoozeUntil('monday', wednesdayEvening)).toEqual(new Date(2026, 11, 7, 9));
    expect(snoozeUntil('monday', new Date(2026, 11, 6, 8))).toEqual(new Date(2026, 11, 7, 9)); // a Sunday
    expect(snoozeUntil('monday', new Date(2026, 11, 7, 8))).toEqual(new Date(2026, 11, 14, 9)); // a Monday, before 9
  });
});
