// When the team is in, for one site: always open, or a weekly schedule in one time zone with one
// opening interval a day. Outside it the widget says the team is away. A schedule the form cannot
// make (from after to, no open day) is refused here before anything is sent.
import { useMemo, useState } from 'preact/hooks';
import type { Weekday } from '../../../protocol/index.ts';
import {
  WEEKDAY_LABELS, browserTimeZone, businessHoursOf, hoursFormOf, timeZoneChoices, type DayForm, type HoursForm,
} from '../../lib/business-hours-form.ts';
import { useSaveStatus } from '../../lib/use-save-status.ts';
import { SaveActions } from './save-actions.tsx';
import type { SiteSettingsProps } from './site-settings.tsx';

export function BusinessHoursForm({ site, onUpdate }: SiteSettingsProps) {
  const [form, setForm] = useState<HoursForm>(() => hoursFormOf(site.businessHours, browserTimeZone()));
  const { status, edited, refuse, save } = useSaveStatus();
  const zones = useMemo(() => timeZoneChoices(form.timeZone), [form.timeZone]);

  const edit = (change: Partial<HoursForm>) => {
    setForm((f) => ({ ...f, ...change }));
    edited();
  };
  const editDay = (day: Weekday, change: Partial<DayForm>) => edit({ days: { ...form.days, [day]: { ...form.days[day], ...change } } });

  const submit = (event: Event) => {
    event.preventDefault();
    if (status.busy) return;
    const result = businessHoursOf(form);
    if ('problem' in result) refuse(result.problem);
    else void save(() => onUpdate({ businessHours: result.hours }));
  };

  const name = `hours-${site.id}`;
  return (
    <form class="business-hours" onSubmit={submit} data-testid="hours-form">
      <h4>Business hours</h4>
      <p class="muted">Outside them the widget tells visitors the team is away and when it is back.</p>
      <div class="choice-row" role="radiogroup" aria-label="Business hours">
        <label class="check">
          <input type="radio" name={name} data-testid="hours-always" checked={form.alwaysOpen} onChange={() => edit({ alwaysOpen: true })} />
          Always open
        </label>
        <label class="check">
          <input type="radio" name={name} data-testid="hours-schedule" checked={!form.alwaysOpen} onChange={() => edit({ alwaysOpen: false })} />
          Weekly schedule
        </label>
      </div>
      {!form.alwaysOpen && (
        <>
          <label class="time-zone">
            Time zone
            <select data-testid="hours-zone" value={form.timeZone} onChange={(e) => edit({ timeZone: e.currentTarget.value })}>
              {zones.map((zone) => <option key={zone} value={zone}>{zone.replace(/_/g, ' ')}</option>)}
            </select>
          </label>
          <table class="week">
            <tbody>
              {WEEKDAY_LABELS.map(([day, label]) => {
                const hours = form.days[day];
                return (
                  <tr key={day} data-testid={`hours-${day}`}>
                    <th scope="row">
                      <label class="check">
                        <input type="checkbox" data-testid="day-open" checked={hours.open} onChange={(e) => editDay(day, { open: e.currentTarget.checked })} />
                        {label}
                      </label>
                    </th>
                    {hours.open ? (
                      <td>
                        <input type="time" data-testid="day-from" aria-label={`${label} opens at`} value={hours.from} onInput={(e) => editDay(day, { from: e.currentTarget.value })} />
                        {' to '}
                        <input type="time" data-testid="day-to" aria-label={`${label} closes at`} value={hours.to} onInput={(e) => editDay(day, { to: e.currentTarget.value })} />
                        {hours.more.length > 0 && (
                          <span class="muted" data-testid="day-more" title="Set through the API; kept as they are">
                            {' '}and {hours.more.map(([from, to]) => `${from}–${to}`).join(', ')}
                          </span>
                        )}
                      </td>
                    ) : (
                      <td class="muted">Closed</td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
      <SaveActions label="Save hours" testId="hours" status={status} />
    </form>
  );
}
