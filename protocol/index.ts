// The wire protocol shared by the server, the widget, the console and the client core (client/).
// It imports nothing outside protocol/, so the widget and console bundles pull in only the few
// constants they use. Every frame is one JSON object with a `type`. docs/protocol.md explains the rules.

import type { ErrorCode } from './errors.ts';

export const PROTOCOL = 'parley.v1';
export const WS_PATH = '/ws';

/** Longest message body in characters; the server may be configured lower, never higher. */
export const MAX_MESSAGE_LENGTH = 4000;

export type Role = 'visitor' | 'agent';
export type AuthorKind = 'visitor' | 'agent' | 'system' | 'bot';
/** `snoozed` reopens by itself at `snoozedUntil`. */
export type ConversationStatus = 'open' | 'pending' | 'resolved' | 'snoozed';
export type Availability = 'online' | 'away' | 'offline';
export type AgentRole = 'owner' | 'admin' | 'agent';

export interface MessageView {
  id: string;
  conversationId: string;
  /** Position in the conversation: 1, 2, 3… with no gaps. */
  seq: number;
  /** Id the sender generated; a resend with the same id is acknowledged, never stored twice. */
  clientId: string;
  authorKind: AuthorKind;
  authorId: string | null;
  authorName: string | null;
  body: string;
  /** ISO 8601 */
  createdAt: string;
}

export interface ConversationView {
  id: string;
  siteId: string;
  visitorId: string;
  visitorName: string;
  assigneeId: string | null;
  status: ConversationStatus;
  /** ISO 8601, while snoozed. */
  snoozedUntil: string | null;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
  lastMessage: { body: string; authorKind: AuthorKind; createdAt: string } | null;
  /** The site's bot has it (sites with bot-first): no agent is routed until it hands off. */
  withBot?: boolean;
}

/** An agent's private remark on a conversation: agents only, never sent to a visitor, outside the seq. */
export interface NoteView {
  id: string;
  conversationId: string;
  authorId: string | null;
  authorName: string;
  body: string;
  createdAt: string;
}

export interface VisitorView {
  id: string;
  siteId: string;
  name: string | null;
  email: string | null;
  attributes: Record<string, string | number | boolean>;
  createdAt: string;
  lastSeenAt: string;
}

export interface AgentView {
  id: string;
  name: string;
  email: string;
  role: AgentRole;
  availability: Availability;
  /** In the team list (GET /api/v1/agents): most unresolved conversations routing gives them; null = no limit. */
  capacity?: number | null;
  /** In the team list: when they were deactivated; null while active. */
  deactivatedAt?: string | null;
}

export interface WidgetSettings {
  title: string;
  greeting: string;
  /** CSS colour of the launcher and the visitor's bubbles */
  color: string;
  position: 'right' | 'left';
  /** Shown above agents' replies instead of each agent's name, when set. */
  teamName?: string;
  launcherLabel?: string;
  /** BCP 47 */
  locale?: string;
  expectedReplyTime?: string;
}

// ---- client → server -------------------------------------------------------------------------

/** First frame when the token did not travel in the Sec-WebSocket-Protocol header. */
export interface AuthFrame { type: 'auth'; token: string }
/** Visitors omit conversationId: the server uses (or opens) the visitor's conversation. */
export interface SendFrame { type: 'message.send'; conversationId?: string; clientId: string; body: string }
export interface TypingFrame { type: 'typing'; conversationId: string; typing: boolean }
/** Agents only. Offline is implied when an agent's last connection closes. */
export interface PresenceSetFrame { type: 'presence.set'; availability: 'online' | 'away' }
/** Ask for the messages after `afterSeq`; answered by a `messages` frame (paged, see hasMore). */
export interface SyncFrame { type: 'sync'; conversationId: string; afterSeq: number }

/** Liveness check a browser can make (it cannot send WebSocket pings): answered by `pong`. */
export interface PingFrame { type: 'ping' }

export type ClientFrame = AuthFrame | SendFrame | TypingFrame | PresenceSetFrame | SyncFrame | PingFrame;
export type ClientFrameType = ClientFrame['type'];

// ---- server → client -------------------------------------------------------------------------

export interface VisitorReady {
  type: 'ready';
  role: 'visitor';
  visitorId: string;
  /** The visitor's latest conversation, if any, with its most recent messages. */
  conversation: ConversationView | null;
  messages: MessageView[];
  team: { online: boolean };
  settings: WidgetSettings;
}

export interface AgentReady {
  type: 'ready';
  role: 'agent';
  agent: AgentView;
  /** Every agent of the account with their availability. */
  agents: AgentView[];
}

export interface AckFrame {
  type: 'ack';
  clientId: string;
  conversationId: string;
  messageId: string;
  seq: number;
  createdAt: string;
}
export interface MessageFrame { type: 'message'; message: MessageView }
/** To agents: a colleague added a private note. */
export interface NoteFrame { type: 'note'; note: NoteView }
/** A conversation was created or changed (assignee, status, last message). */
export interface ConversationFrame { type: 'conversation'; conversation: ConversationView }
export interface TypingEventFrame {
  type: 'typing';
  conversationId: string;
  authorKind: 'visitor' | 'agent';
  authorId: string;
  /** The agent's name; null for visitors. */
  authorName: string | null;
  typing: boolean;
}
/** To agents: a colleague's availability changed. */
export interface PresenceFrame { type: 'presence'; agentId: string; availability: Availability }
/** To visitors: whether at least one agent is online. */
export interface TeamFrame { type: 'team'; online: boolean }
export interface MessagesFrame { type: 'messages'; conversationId: string; messages: MessageView[]; hasMore: boolean }
export interface PongFrame { type: 'pong' }
/**
 * Live frames meant for this client may have been lost between server nodes (the bus between them
 * was down): catch up as after a reconnect — sync each conversation shown from its highest
 * contiguous seq, and reload what else is shown (lists, colleagues' presence).
 */
export interface ResyncFrame { type: 'resync' }
export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  /** The clientId of the message.send this error answers, when it answers one. */
  clientId?: string;
  /** For RATE_LIMITED and UNAVAILABLE: when to try again. */
  retryAfterMs?: number;
}

export type ServerFrame =
  | VisitorReady
  | AgentReady
  | AckFrame
  | MessageFrame
  | NoteFrame
  | ConversationFrame
  | TypingEventFrame
  | PresenceFrame
  | TeamFrame
  | MessagesFrame
  | PongFrame
  | ResyncFrame
  | ErrorFrame;

// ---- errors ----------------------------------------------------------------------------------

export * from './errors.ts';

// ---- REST shapes shared with the console and the widget ------------------------------------------
// Requests carry `Authorization: Bearer <token>`; errors are { statusCode, code, error, message }.

export interface SiteView {
  id: string;
  name: string;
  publicKey: string;
  allowedOrigins: string[];
  settings: WidgetSettings;
  /** Opening hours in the site's time zone; null: always open. */
  businessHours: BusinessHours | null;
  /** Visitors must present a signed identity (data-user-id + data-user-hash) before they may chat. */
  requireIdentity: boolean;
  botFirst: boolean;
  /** The identity secret itself is shown once, when created or rotated. */
  hasIdentitySecret: boolean;
  createdAt: string;
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export interface BusinessHours {
  /** IANA, e.g. "Europe/Paris". */
  timeZone: string;
  /** Days without an entry are closed: { mon: [["09:00", "17:30"]], … } */
  days: Partial<Record<Weekday, [string, string][]>>;
}

/** A reply an agent inserts by its shortcut; siteId null: for every site of the account. */
export interface CannedResponseView {
  id: string;
  siteId: string | null;
  shortcut: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

/** GET /api/v1/tokens: an API token without its secret, which only POST's answer shows. */
export interface ApiTokenView {
  id: string;
  name: string;
  role: AgentRole;
  /** The token's first characters, to tell tokens apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export type WebhookEventType =
  | 'conversation.created'
  | 'conversation.assigned'
  | 'conversation.status_changed'
  | 'message.created'
  | 'visitor.updated'
  | 'visitor.erased';

/** GET /api/v1/webhooks: a subscription without its signing secret, which only POST's answer shows. */
export interface WebhookView {
  id: string;
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
  /** Why Parley disabled it, and since when it had been failing. */
  disabledReason: string | null;
  failingSince: string | null;
  createdAt: string;
}

/** GET /api/v1/webhooks/:id/deliveries, newest first. */
export interface WebhookDeliveryView {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  nextAttemptAt: string | null;
  createdAt: string;
  completedAt: string | null;
  attempts: { attemptedAt: string; statusCode: number | null; latencyMs: number; excerpt: string }[];
}

/** POST /api/widget/session { siteKey, token? } */
export interface WidgetSessionResponse {
  token: string;
  visitorId: string;
  settings: WidgetSettings;
  /**
   * online: an agent is online now. open: within the site's business hours (always, without any);
   * opensAt: when closed, the next opening (ISO 8601), for "We're away, back at 9:00".
   */
  team: { online: boolean; open: boolean; opensAt: string | null };
}

/** POST /api/auth/login { email, password }; POST /api/auth/refresh (with a valid token) → a fresh one */
export interface LoginResponse { token: string; agent: AgentView }

/** GET /api/me */
export interface MeResponse { agent: AgentView; account: { id: string; name: string }; sites: SiteView[] }

/**
 * GET /api/v1/conversations?view=unassigned|mine|all&status=…&siteId=&assigneeId=&since=&until=&q=&cursor=&limit=
 * (newest activity first)
 */
export type ConversationListView = 'unassigned' | 'mine' | 'all';
/** A page; pass `nextCursor` back as `cursor` for the next one (null at the end). */
export interface ConversationListResponse { conversations: ConversationView[]; nextCursor: string | null }

/** GET /api/conversations/:id/messages?afterSeq=0&limit=200 (oldest first) */
export interface MessagePage { messages: MessageView[]; hasMore: boolean }

/** POST /api/conversations/:id/assign { agentId: string | null }, POST …/:id/status { status } */
export interface ConversationResponse { conversation: ConversationView }

/** GET /api/agents */
export interface AgentListResponse { agents: AgentView[] }

// ---- client liveness (watched by client/liveness.ts) ---------------------------------------------

/** Clients send `ping` after this long without any frame from the server… */
export const PING_AFTER_IDLE_MS = 15_000;
/** …and give the connection up for dead (and reconnect) after this long without any. */
export const DEAD_AFTER_IDLE_MS = 40_000;
