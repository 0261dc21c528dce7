// API tokens and webhooks for the settings screen. Their secrets come back once, in the answer to
// their creation; the caller shows them then, and they are never fetched again.
import type { AgentRole, ApiTokenView, WebhookDeliveryView, WebhookEventType, WebhookView } from '../../protocol/index.ts';
import type { Api } from './api.ts';
import { useResource, type Resource } from './use-resource.ts';

export interface ApiTokens extends Resource<ApiTokenView[]> {
  create(name: string, role: AgentRole): Promise<string>;
  revoke(tokenId: string): Promise<void>;
}

export function useApiTokens(api: Api): ApiTokens {
  const tokens = useResource(api.apiTokens);
  return {
    ...tokens,
    create: async (name, role) => {
      const { token, apiToken } = await api.createApiToken(name, role);
      tokens.change((list) => [apiToken, ...list]);
      return token;
    },
    revoke: async (tokenId) => {
      await api.revokeApiToken(tokenId);
      tokens.change((list) => list.filter((t) => t.id !== tokenId));
    },
  };
}

export interface Webhooks extends Resource<WebhookView[]> {
  create(url: string, events: WebhookEventType[]): Promise<string>;
  setEnabled(webhookId: string, enabled: boolean): Promise<void>;
  remove(webhookId: string): Promise<void>;
  deliveries(webhookId: string): Promise<WebhookDeliveryView[]>;
}

/** Recent deliveries shown under a webhook: enough to see whether it works. */
const RECENT_DELIVERIES = 10;

export function useWebhooks(api: Api): Webhooks {
  const webhooks = useResource(api.webhooks);
  const replace = (webhook: WebhookView) => webhooks.change((list) => list.map((w) => (w.id === webhook.id ? webhook : w)));
  return {
    ...webhooks,
    create: async (url, events) => {
      const { secret, webhook } = await api.createWebhook(url, events);
      webhooks.change((list) => [webhook, ...list]);
      return secret;
    },
    setEnabled: async (webhookId, enabled) => replace(await api.setWebhookEnabled(webhookId, enabled)),
    remove: async (webhookId) => {
      await api.deleteWebhook(webhookId);
      webhooks.change((list) => list.filter((w) => w.id !== webhookId));
    },
    deliveries: (webhookId) => api.webhookDeliveries(webhookId, RECENT_DELIVERIES),
  };
}
