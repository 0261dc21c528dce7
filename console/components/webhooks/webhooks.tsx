// Webhooks in the settings screen: each subscription with its events and, when Parley disabled it,
// why (re-enable or delete); its recent deliveries on demand; and creating one, whose signing
// secret is shown once, right after, to copy.
import { useState } from 'preact/hooks';
import type { WebhookDeliveryView, WebhookEventType, WebhookView } from '../../../protocol/index.ts';
import { messageOf } from '../../lib/api.ts';
import { fullTime } from '../../lib/format.ts';
import type { Webhooks as WebhooksResource } from '../../lib/use-integrations.ts';
import { ConfirmButton } from '../confirm-button/confirm-button.tsx';
import { ShownOnce } from '../shown-once/shown-once.tsx';

/** Every event a webhook can take (the type keeps this list complete). */
const EVENT_LABELS: Record<WebhookEventType, string> = {
  'conversation.created': 'Conversation created',
  'conversation.assigned': 'Conversation assigned',
  'conversation.status_changed': 'Status changed',
  'message.created': 'Message created',
  'visitor.updated': 'Visitor updated',
  'visitor.erased': 'Visitor erased',
};
const EVENTS = Object.keys(EVENT_LABELS) as WebhookEventType[];

export function Webhooks({ webhooks }: { webhooks: WebhooksResource }) {
  return (
    <section class="settings-card" aria-labelledby="webhooks-title" data-testid="webhooks">
      <h3 id="webhooks-title">Webhooks</h3>
      <p class="muted">Parley POSTs each chosen event to your URL, signed with the webhook's secret (Parley-Signature).</p>
      {webhooks.value?.length === 0 && <p class="muted">No webhooks.</p>}
      <ul class="settings-list">
        {webhooks.value?.map((webhook) => <Webhook key={webhook.id} webhook={webhook} webhooks={webhooks} />)}
      </ul>
      <NewWebhook webhooks={webhooks} />
    </section>
  );
}

function Webhook({ webhook, webhooks }: { webhook: WebhookView; webhooks: WebhooksResource }) {
  const [deliveries, setDeliveries] = useState<{ list: WebhookDeliveryView[] | null; error: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const showDeliveries = () => {
    if (deliveries) return setDeliveries(null);
    setDeliveries({ list: null, error: null });
    webhooks.deliveries(webhook.id).then(
      (list) => setDeliveries({ list, error: null }),
      (err: unknown) => setDeliveries({ list: null, error: messageOf(err) }),
    );
  };

  const enable = () => {
    setError(null);
    webhooks.setEnabled(webhook.id, true).catch((err: unknown) => setError(messageOf(err)));
  };

  return (
    <li data-testid="webhook">
      <span class="member">
        <code>{webhook.url}</code>
        <span class="muted">{webhook.events.map((e) => EVENT_LABELS[e] ?? e).join(', ')}</span>
      </span>
      <span class={webhook.enabled ? 'badge status-open' : 'badge status-pending'}>{webhook.enabled ? 'Enabled' : 'Disabled'}</span>
      <button type="button" class="link" aria-expanded={Boolean(deliveries)} onClick={showDeliveries}>
        {deliveries ? 'Hide deliveries' : 'Recent deliveries'}
      </button>
      <ConfirmButton
        label="Delete"
        busyLabel="Deleting…"
        testId="delete-webhook"
        question="Delete this webhook and its deliveries?"
        onConfirm={() => webhooks.remove(webhook.id)}
      />
      {!webhook.enabled && (
        <p class="disabled-reason" data-testid="webhook-disabled-reason">
          {webhook.disabledReason ?? 'Disabled by hand.'}{' '}
          <button type="button" class="link" onClick={enable}>Enable again</button>
        </p>
      )}
      {error && <p class="form-error" role="alert">{error}</p>}
      {deliveries && <Deliveries {...deliveries} />}
    </li>
  );
}

function Deliveries({ list, error }: { list: WebhookDeliveryView[] | null; error: string | null }) {
  if (error) return <p class="form-error" role="alert">Could not load deliveries: {error}</p>;
  if (!list) return <p class="muted" role="status">Loading deliveries…</p>;
  if (list.length === 0) return <p class="muted">No deliveries yet.</p>;
  return (
    <table class="deliveries">
      <thead>
        <tr><th>Event</th><th>Status</th><th>Last attempt</th><th>Created</th></tr>
      </thead>
      <tbody>
        {list.map((delivery) => {
          const last = delivery.attempts[delivery.attempts.length - 1];
          return (
            <tr key={delivery.id}>
              <td>{delivery.eventType}</td>
              <td class={`delivery-${delivery.status}`}>{delivery.status}</td>
              <td title={last?.excerpt}>
                {last ? `${last.statusCode ?? 'no response'} · ${last.latencyMs} ms` : '—'}
                {delivery.attempts.length > 1 ? ` (${delivery.attempts.length} attempts)` : ''}
              </td>
              <td>{fullTime(delivery.createdAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function NewWebhook({ webhooks }: { webhooks: WebhooksResource }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventType[]>(['message.created']);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);

  const create = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    if (events.length === 0) return setError('Choose at least one event.');
    setBusy(true);
    setError(null);
    try {
      setSecret(await webhooks.create(url.trim(), events));
      setUrl('');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="invite" onSubmit={create}>
      <h4>New webhook</h4>
      <label>
        URL
        <input data-testid="webhook-url" type="url" required maxLength={2000} placeholder="https://example.com/parley-hook" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
      </label>
      <fieldset class="events">
        <legend>Events</legend>
        {EVENTS.map((type) => (
          <label key={type} class="check">
            <input
              type="checkbox"
              checked={events.includes(type)}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                setEvents((list) => (on ? [...list, type] : list.filter((t) => t !== type)));
              }}
            />
            {EVENT_LABELS[type]}
          </label>
        ))}
      </fieldset>
      <div class="form-actions">
        <button type="submit" class="primary" data-testid="webhook-create" disabled={busy}>
          {busy ? 'Creating…' : 'Create webhook'}
        </button>
      </div>
      {error && <p class="form-error" role="alert" data-testid="webhook-error">{error}</p>}
      {secret && (
        <ShownOnce secret={secret} note="Copy the signing secret now: it is not shown again." testId="webhook-created" secretTestId="webhook-secret" />
      )}
    </form>
  );
}
