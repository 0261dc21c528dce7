// One site in the settings screen: its public key and the script tag to paste, the origins allowed
// to embed it, the widget's look, business hours, identity verification and the bot-first switch.
// Each part saves on its own, and a refusal (the server's VALIDATION_FAILED message names the bad
// value) is shown beside the part that sent it.
import { useState } from 'preact/hooks';
import type { SiteView } from '../../../protocol/index.ts';
import { messageOf, type SiteChange } from '../../lib/api.ts';
import { useSaveStatus } from '../../lib/use-save-status.ts';
import { CopyButton } from '../copy-button/copy-button.tsx';
import { BusinessHoursForm } from './business-hours.tsx';
import { SaveActions } from './save-actions.tsx';
import { BotFirstSetting, IdentitySettings } from './visitor-access.tsx';

export interface SiteSettingsProps {
  site: SiteView;
  onUpdate(change: SiteChange): Promise<SiteView>;
}

export function scriptTagOf(site: SiteView, origin = location.origin): string {
  return `<script src="${origin}/widget.js" data-site="${site.publicKey}" async></script>`;
}

export function SiteSettings({ site, onUpdate, onRotateSecret }: SiteSettingsProps & { onRotateSecret(): Promise<string> }) {
  const scriptTag = scriptTagOf(site);
  return (
    <section class="settings-card" data-testid="site-settings" data-site-id={site.id} aria-labelledby={`site-${site.id}`}>
      <h3 id={`site-${site.id}`}>{site.name}</h3>
      <dl class="settings-facts">
        <dt>Public key</dt>
        <dd>
          <code data-testid="site-key">{site.publicKey}</code>
        </dd>
      </dl>
      <h4>Script tag</h4>
      <p class="muted">Paste it into every page of an allowed origin, before &lt;/body&gt;.</p>
      <div class="copy-row">
        <code class="snippet" data-testid="script-tag">{scriptTag}</code>
        <CopyButton text={scriptTag} />
      </div>
      <AllowedOrigins site={site} onUpdate={onUpdate} />
      <WidgetLook key={site.id} site={site} onUpdate={onUpdate} />
      <BusinessHoursForm key={site.id} site={site} onUpdate={onUpdate} />
      <IdentitySettings site={site} onUpdate={onUpdate} onRotateSecret={onRotateSecret} />
      <BotFirstSetting site={site} onUpdate={onUpdate} />
    </section>
  );
}

function AllowedOrigins({ site, onUpdate }: SiteSettingsProps) {
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (allowedOrigins: string[]) => {
    setBusy(true);
    setError(null);
    try {
      await onUpdate({ allowedOrigins });
      return true;
    } catch (err) {
      setError(messageOf(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = async (event: Event) => {
    event.preventDefault();
    const origin = draft.trim();
    if (!origin || busy) return;
    if (await save([...site.allowedOrigins, origin])) setDraft('');
  };

  return (
    <>
      <h4>Allowed origins</h4>
      <p class="muted">Only pages on these origins can open the widget.</p>
      {site.allowedOrigins.length === 0 && <p class="muted">None yet: the widget works nowhere.</p>}
      <ul class="origins" data-testid="origins">
        {site.allowedOrigins.map((origin) => (
          <li key={origin}>
            <code>{origin}</code>
            <button
              type="button"
              class="link danger"
              disabled={busy}
              aria-label={`Remove ${origin}`}
              onClick={() => void save(site.allowedOrigins.filter((o) => o !== origin))}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form class="inline-form" onSubmit={add}>
        <label class="visually-hidden" for={`origin-${site.id}`}>New origin</label>
        <input
          id={`origin-${site.id}`}
          data-testid="origin-input"
          placeholder="https://shop.example.com"
          value={draft}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            setError(null);
          }}
        />
        <button type="submit" data-testid="origin-add" disabled={busy || !draft.trim()}>Add</button>
      </form>
      {error && <p class="form-error" role="alert" data-testid="origin-error">{error}</p>}
    </>
  );
}

function WidgetLook({ site, onUpdate }: SiteSettingsProps) {
  const [form, setForm] = useState(() => ({
    color: site.settings.color,
    title: site.settings.title,
    greeting: site.settings.greeting,
    teamName: site.settings.teamName ?? '',
  }));
  const { status, edited, save } = useSaveStatus();
  const field = (name: keyof typeof form) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setForm((f) => ({ ...f, [name]: value }));
    edited();
  };

  const submit = (event: Event) => {
    event.preventDefault();
    // An empty team name removes it: agents' own names show again.
    void save(() => onUpdate({ settings: { color: form.color.trim(), title: form.title.trim(), greeting: form.greeting, teamName: form.teamName.trim() || null } }));
  };

  return (
    <form class="widget-look" onSubmit={submit} data-testid="widget-form">
      <h4>Widget</h4>
      <label>
        Colour
        <span class="color-field">
          <input
            type="color"
            aria-label="Pick a colour"
            value={/^#[0-9a-f]{6}$/i.test(form.color) ? form.color : '#000000'}
            onInput={field('color')}
          />
          <input data-testid="widget-color" value={form.color} onInput={field('color')} maxLength={9} />
        </span>
      </label>
      <label>
        Title
        <input data-testid="widget-title" value={form.title} onInput={field('title')} maxLength={80} required />
      </label>
      <label>
        Greeting
        <textarea data-testid="widget-greeting" rows={2} value={form.greeting} onInput={field('greeting')} maxLength={500} />
      </label>
      <label>
        <span>
          Team name <span class="muted">(optional: shown instead of each agent's name)</span>
        </span>
        <input data-testid="widget-team-name" value={form.teamName} onInput={field('teamName')} maxLength={80} />
      </label>
      <SaveActions label="Save widget" testId="widget" status={status} />
    </form>
  );
}
