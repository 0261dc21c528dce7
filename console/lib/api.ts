// The REST client. Every call resolves to the documented shape or rejects with an ApiError whose
// `code` is one of protocol.ts's ErrorCodes (or NETWORK when the server could not be reached), so
// callers branch on codes, never on message text.
import type {
  AgentListResponse,
  ApiTokenView,
  AgentRole,
  AgentView,
  BusinessHours,
  CannedResponseView,
  ConversationListResponse,
  ConversationListView,
  ConversationResponse,
  ConversationStatus,
  ConversationView,
  LoginResponse,
  MeResponse,
  MessagePage,
  MessageView,
  NoteView,
  SiteView,
  WebhookDeliveryView,
  WebhookEventType,
  WebhookView,
  WidgetSettings,
} from '../../protocol/index.ts';
import { nextPageAfter } from '../../client/conversation-log.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const NETWORK_ERROR = 'NETWORK';

/** What to show for a failure: the server's message for an ApiError (it names the bad field). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Largest page the server hands out; asking for more only gets capped. */
const PAGE_SIZE = 200;

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

export interface Api {
  login(email: string, password: string): Promise<LoginResponse>;
  /** Sets the invitee's password and signs them in (the link's token; no sign-in needed). */
  acceptInvitation(token: string, password: string): Promise<LoginResponse>;
  me(): Promise<MeResponse>;
  /** A fresh token while the current one is still valid. */
  refresh(): Promise<LoginResponse>;
  /** One page of a list, newest activity first; `cursor` is the previous page's nextCursor. */
  conversations(view: ConversationListView, status: ConversationStatus, cursor?: string): Promise<ConversationListResponse>;
  /** The first page of one status's conversations whose messages match `q` (full-text search). */
  searchConversations(q: string, status: ConversationStatus, signal?: AbortSignal): Promise<ConversationView[]>;
  conversation(conversationId: string): Promise<ConversationView>;
  /** Every message after `afterSeq`, following pages while the server says there are more. */
  messagesAfter(conversationId: string, afterSeq: number, signal?: AbortSignal): Promise<MessageView[]>;
  assign(conversationId: string, agentId: string | null): Promise<ConversationView>;
  /** `snoozedUntil` (ISO 8601) with status snoozed only. */
  setStatus(conversationId: string, status: ConversationStatus, snoozedUntil?: string): Promise<ConversationView>;
  agents(): Promise<AgentListResponse['agents']>;
  /** Private notes of a conversation, oldest first. */
  notes(conversationId: string, signal?: AbortSignal): Promise<NoteView[]>;
  addNote(conversationId: string, body: string): Promise<NoteView>;
  /** The account-wide canned responses and the site's. */
  cannedResponses(siteId: string): Promise<CannedResponseView[]>;
  // Settings (owners and admins; the server answers FORBIDDEN to agents).
  sites(): Promise<SiteView[]>;
  updateSite(siteId: string, change: SiteChange): Promise<SiteView>;
  /** A new identity secret (the first, or replacing the current one), shown in this answer only. */
  rotateIdentitySecret(siteId: string): Promise<{ site: SiteView; identitySecret: string }>;
  invite(invitation: { email: string; name: string; role: AgentRole }): Promise<{ inviteUrl: string; emailed: boolean }>;
  deactivate(agentId: string): Promise<AgentView>;
  updateAgent(agentId: string, change: { role?: AgentRole; capacity?: number | null }): Promise<AgentView>;
  apiTokens(): Promise<ApiTokenView[]>;
  /** `token` is shown in this answer only. */
  createApiToken(name: string, role: AgentRole): Promise<{ token: string; apiToken: ApiTokenView }>;
  revokeApiToken(tokenId: string): Promise<void>;
  webhooks(): Promise<WebhookView[]>;
  /** `secret` (whsec_…) is shown in this answer only. */
  createWebhook(url: string, events: WebhookEventType[]): Promise<{ secret: string; webhook: WebhookView }>;
  /** Re-enabling clears disabledReason. */
  setWebhookEnabled(webhookId: string, enabled: boolean): Promise<WebhookView>;
  deleteWebhook(webhookId: string): Promise<void>;
  /** The most recent deliveries, newest first. */
  webhookDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryView[]>;
}

/** PATCH /api/v1/sites/:id: settings are merged into the current ones; null removes an optional one. */
export interface SiteChange {
  name?: string;
  allowedOrigins?: string[];
  settings?: Partial<{ [K in keyof WidgetSettings]-?: undefined extends WidgetSettings[K] ? WidgetSettings[K] | null : WidgetSettings[K] }>;
  /** null: always open. */
  businessHours?: BusinessHours | null;
  requireIdentity?: boolean;
  botFirst?: boolean;
}

/**
 * `getToken` is read on every call so a new login takes effect at once; `onUnauthorized` runs when
 * the server rejects the token (401 on any call but login), after which the console shows the login.
 */
export function createApi(getToken: () => string | null, onUnauthorized: () => void): Api {
  async function request<T>(path: string, { method = 'GET', body, signal }: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiError(0, NETWORK_ERROR, 'Cannot reach the server. Check your connection.');
    }

    const payload: unknown = await response.json().catch(() => null);
    if (response.ok) return payload as T;

    const error = (payload ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof error.code === 'string' ? error.code : `HTTP_${response.status}`;
    const message = typeof error.message === 'string' ? error.message : response.statusText || 'Request failed';
    if (response.status === 401 && path !== '/api/v1/auth/login') onUnauthorized();
    throw new ApiError(response.status, code, message);
  }

  const conversationPath = (id: string) => `/api/v1/conversations/${encodeURIComponent(id)}`;

  return {
    refresh: () => request<LoginResponse>('/api/v1/auth/refresh', { method: 'POST', body: {} }),
    login: (email, password) =>
      request<LoginResponse>('/api/v1/auth/login', { method: 'POST', body: { email, password } }),

    acceptInvitation: (token, password) =>
      request<LoginResponse>('/api/v1/invitations/accept', { method: 'POST', body: { token, password } }),

    me: () => request<MeResponse>('/api/v1/me'),

    conversations: (view, status, cursor) => {
      const query = new URLSearchParams({ view, status, ...(cursor ? { cursor } : {}) });
      return request<ConversationListResponse>(`/api/v1/conversations?${query}`);
    },

    searchConversations: async (q, status, signal) => {
      const query = new URLSearchParams({ view: 'all', status, q });
      return (await request<ConversationListResponse>(`/api/v1/conversations?${query}`, { signal })).conversations;
    },

    conversation: async (conversationId) =>
      (await request<ConversationResponse>(conversationPath(conversationId))).conversation,

    messagesAfter: async (conversationId, afterSeq, signal) => {
      const all: MessageView[] = [];
      let cursor = afterSeq;
      for (;;) {
        const query = new URLSearchParams({ afterSeq: String(cursor), limit: String(PAGE_SIZE) });
        const page = await request<MessagePage>(`${conversationPath(conversationId)}/messages?${query}`, { signal });
        all.push(...page.messages);
        const next = nextPageAfter(page);
        if (next === null) return all;
        cursor = next;
      }
    },

    assign: async (conversationId, agentId) => {
      const { conversation } = await request<ConversationResponse>(`${conversationPath(conversationId)}/assign`, {
        method: 'POST',
        body: { agentId },
      });
      return conversation;
    },

    setStatus: async (conversationId, status, snoozedUntil) => {
      const { conversation } = await request<ConversationResponse>(`${conversationPath(conversationId)}/status`, {
        method: 'POST',
        body: snoozedUntil === undefined ? { status } : { status, snoozedUntil },
      });
      return conversation;
    },

    agents: async () => (await request<AgentListResponse>('/api/v1/agents')).agents,

    notes: async (conversationId, signal) =>
      (await request<{ notes: NoteView[] }>(`${conversationPath(conversationId)}/notes`, { signal })).notes,

    addNote: async (conversationId, body) => {
      const { note } = await request<{ note: NoteView }>(`${conversationPath(conversationId)}/messages`, {
        method: 'POST',
        body: { body, private: true },
      });
      return note;
    },

    cannedResponses: async (siteId) => {
      const query = new URLSearchParams({ siteId });
      return (await request<{ cannedResponses: CannedResponseView[] }>(`/api/v1/canned-responses?${query}`)).cannedResponses;
    },

    sites: async () => {
      // An account has a handful of sites; follow the pages all the same.
      const all: SiteView[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
        const page: { sites: SiteView[]; nextCursor: string | null } = await request(`/api/v1/sites?${query}`);
        all.push(...page.sites);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },

    updateSite: async (siteId, change) =>
      (await request<{ site: SiteView }>(`/api/v1/sites/${encodeURIComponent(siteId)}`, { method: 'PATCH', body: change })).site,

    rotateIdentitySecret: (siteId) =>
      request<{ site: SiteView; identitySecret: string }>(`/api/v1/sites/${encodeURIComponent(siteId)}/identity-secret`, { method: 'POST', body: {} }),

    invite: (invitation) => request<{ inviteUrl: string; emailed: boolean }>('/api/v1/agents', { method: 'POST', body: invitation }),

    apiTokens: async () => (await request<{ tokens: ApiTokenView[] }>('/api/v1/tokens')).tokens,

    createApiToken: (name, role) =>
      request<{ token: string; apiToken: ApiTokenView }>('/api/v1/tokens', { method: 'POST', body: { name, role } }),

    revokeApiToken: async (tokenId) => {
      await request(`/api/v1/tokens/${encodeURIComponent(tokenId)}`, { method: 'DELETE' });
    },

    webhooks: async () => {
      const all: WebhookView[] = [];
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
        const page: { webhooks: WebhookView[]; nextCursor: string | null } = await request(`/api/v1/webhooks?${query}`);
        all.push(...page.webhooks);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },

    createWebhook: (url, events) =>
      request<{ secret: string; webhook: WebhookView }>('/api/v1/webhooks', { method: 'POST', body: { url, events } }),

    setWebhookEnabled: async (webhookId, enabled) =>
      (await request<{ webhook: WebhookView }>(`/api/v1/webhooks/${encodeURIComponent(webhookId)}`, { method: 'PATCH', body: { enabled } })).webhook,

    deleteWebhook: async (webhookId) => {
      await request(`/api/v1/webhooks/${encodeURIComponent(webhookId)}`, { method: 'DELETE' });
    },

    webhookDeliveries: async (webhookId, limit) => {
      const query = new URLSearchParams({ limit: String(limit) });
      return (await request<{ deliveries: WebhookDeliveryView[] }>(`/api/v1/webhooks/${encodeURIComponent(webhookId)}/deliveries?${query}`)).deliveries;
    },

    deactivate: async (agentId) =>
      (await request<{ agent: AgentView }>(`/api/v1/agents/${encodeURIComponent(agentId)}`, { method: 'DELETE' })).agent,

    updateAgent: async (agentId, change) =>
      (await request<{ agent: AgentView }>(`/api/v1/agents/${encodeURIComponent(agentId)}`, { method: 'PATCH', body: change })).agent,
  };
}
