// The business-hours form and the schedule the server stores, both ways. The form edits one opening
// interval a day; intervals the API was given beyond the first ride along untouched, so saving from
// the console never drops them (the settings screen shows them read-only).
import type { BusinessHours, Weekday } from '../../protocol/index.ts';

export const WEEKDAY_LABELS: ReadonlyArray<readonly [Weekday, string]> = [
  ['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday'],
];

export interface DayForm {
  open: boolean;
  from: string;
  to: string;
  /** Later intervals of the day, set through the API; kept as they are while the day stays open. */
  more: [string, string][];
}

export interface HoursForm {
  alwaysOpen: boolean;
  timeZone: string;
  days: Record<Weekday, DayForm>;
}

const WORKING_DAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The form for a site's hours; an always-open site starts from Monday–Friday 9–17 in `defaultZone`. */
export function hoursFormOf(hours: BusinessHours | null, defaultZone: string): HoursForm {
  const days = {} as Record<Weekday, DayForm>;
  for (const [day] of WEEKDAY_LABELS) {
    // Earliest first, so the interval the form edits is the same one whatever order the API got.
    const ranges = [...(hours?.days[day] ?? [])].sort((x, y) => x[0].localeCompare(y[0]));
    const [first, ...more] = ranges;
    days[day] = first
      ? { open: true, from: first[0], to: first[1], more }
      : { open: !hours && WORKING_DAYS.includes(day), from: '09:00', to: '17:00', more: [] };
  }
  return { alwaysOpen: !hours, timeZone: hours?.timeZone ?? defaultZone, days };
}

/** What the server should store, or what is wrong with the form, said for the person filling it in. */
export function businessHoursOf(form: HoursForm): { hours: BusinessHours | null } | { problem: string } {
  if (form.alwaysOpen) return { hours: null };
  const days: BusinessHours['days'] = {};
  for (const [day, label] of WEEKDAY_LABELS) {
    const { open, from, to, more } = form.days[day];
    if (!open) continue;
    // A time input that was cleared reads "", and one with seconds "09:00:00"; neither is HH:MM.
    if (!TIME.test(from) || !TIME.test(to)) return { problem: `${label}: enter an opening and a closing time.` };
    if (from >= to) return { problem: `${label}: the opening time (${from}) must be before the closing time (${to}).` };
    days[day] = [[from, to], ...more];
  }
  if (Object.keys(days).length === 0) return { problem: 'Open at least one day, or choose “Always open”.' };
  return { hours: { timeZone: form.timeZone, days } };
}

/** The browser's own zone, the first choice for a site that had none. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Every zone the browser knows, with `current` kept even where the list lacks it (older browsers, "UTC"). */
export function timeZoneChoices(current: string): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: 'timeZone') => string[] };
  const known = intl.supportedValuesOf?.('timeZone') ?? [];
  return known.includes(current) ? known : [current, ...known];
}
