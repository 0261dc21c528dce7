// When a snooze ends, in the agent's own time zone: "tomorrow 9:00" means 9:00 where they sit.

export type SnoozeChoice = 'hour' | 'tomorrow' | 'monday';

export const SNOOZE_CHOICES: ReadonlyArray<readonly [SnoozeChoice, string]> = [
  ['hour', '1 hour'],
  ['tomorrow', 'Tomorrow, 9:00'],
  ['monday', 'Next Monday, 9:00'],
];

const MORNING_HOUR = 9;
const MONDAY = 1;

export function snoozeUntil(choice: SnoozeChoice, now: Date): Date {
  switch (choice) {
    case 'hour':
      return new Date(now.getTime() + 60 * 60 * 1000);
    case 'tomorrow':
      // Date() normalises day 32 into the next month, and keeps 9:00 local across a DST change.
      return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, MORNING_HOUR);
    case 'monday': {
      // On a Monday, "next Monday" is a week away, never later today.
      const days = (MONDAY - now.getDay() + 7) % 7 || 7;
      return new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, MORNING_HOUR);
    }
  }
}
