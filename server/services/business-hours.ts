// A site's opening hours: validated when an owner sets them, and asked "open now?" and "when next?"
// by the widget's session call, so the widget can say "We're away, back at 9:00". Pure functions.
import type { BusinessHoursColumn } from '../../db/schema.ts';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Whether `Intl` knows the zone (it throws a RangeError for anything else). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with a schedule, or null. Ranges are "HH:MM" pairs, start before end, not overlapping. */
export function businessHoursProblem(hours: BusinessHoursColumn): string | null {
  if (!isTimeZone(hours.timeZone)) return `businessHours.timeZone ${JSON.stringify(hours.timeZone)} is not an IANA time zone`;
  for (const [day, ranges] of Object.entries(hours.days)) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) return `businessHours.days.${day} is not a day (mon…sun)`;
    const sorted = [...(ranges ?? [])].sort((x, y) => x[0].localeCompare(y[0]));
    for (const [i, range] of sorted.entries()) {
      const [start, end] = range;
      if (!TIME.test(start) || !TIME.test(end)) return `businessHours.days.${day}: times are "HH:MM", 00:00 to 23:59`;
      if (start >= end) return `businessHours.days.${day}: ${start} is not before ${end}`;
      const previous = sorted[i - 1];
      if (previous && previous[1] > start) return `businessHours.days.${day}: ${previous[0]}–${previous[1]} overlaps ${start}–${end}`;
    }
  }
  return null;
}

interface WallClock { year: number; month: number; date: number; day: Weekday; time: string; ms: number }

/** The wall clock in the zone at `at`; `ms` is that wall-clock reading taken as if it were UTC. */
function wallClock(zone: string, at: Date): WallClock {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const [year, month, date, hour, minute, second] = ['year', 'month', 'day', 'hour', 'minute', 'second'].map((type) => Number(part(type))) as [number, number, number, number, number, number];
  return {
    year, month, date, day: part('weekday').toLowerCase().slice(0, 3) as Weekday, time: part('hour') + ':' + part('minute'),
    ms: Date.UTC(year, month - 1, date, hour, minute, second),
  };
}

/** The instant at which the zone's clocks read `wallMs` (a wall-clock reading taken as UTC). */
function instantOf(zone: string, wallMs: number): Date {
  // The zone's offset near the target, measured twice so that a DST change in between is followed.
  const offsetAt = (ms: number) => wallClock(zone, new Date(ms)).ms - ms;
  const guess = wallMs - offsetAt(wallMs);
  return new Date(wallMs - offsetAt(guess));
}

export interface OpeningState {
  open: boolean;
  /** When closed: the next opening (ISO 8601), which the widget shows in the visitor's own time. */
  opensAt: string | null;
}

/** Open or closed at `at`; no schedule means always open. Ends are exclusive (17:30 is closed). */
export function openingState(hours: BusinessHoursColumn | null, at = new Date()): OpeningState {
  if (!hours) return { open: true, opensAt: null };
  const now = wallClock(hours.timeZone, at);
  const today = hours.days[now.day] ?? [];
  if (today.some(([start, end]) => start <= now.time && now.time < end)) return { open: true, opensAt: null };
  // The next start: later today, else the first range of the following days (a week round).
  const index = WEEKDAYS.indexOf(now.day);
  for (let offset = 0; offset <= 7; offset++) {
    const ranges = hours.days[WEEKDAYS[(index + offset) % 7]!] ?? [];
    const next = ranges.map(([start]) => start).filter((start) => offset > 0 || start > now.time).sort()[0];
    if (!next) continue;
    const [hour, minute] = next.split(':').map(Number) as [number, number];
    const wallMs = Date.UTC(now.year, now.month - 1, now.date + offset, hour, minute);
    return { open: false, opensAt: instantOf(hours.timeZone, wallMs).toISOString() };
  }
  return { open: false, opensAt: null };
}
