// Every table. Migrations in db/migrations/ are generated from this file by `npm run db:generate`
// (drizzle-kit), committed, and never edited once released.
import { sql } from 'drizzle-orm';
import {
  pgTable, pgEnum, uuid, text, timestamp, integer, jsonb, boolean, index, uniqueIndex,
} from 'drizzle-orm/pg-core';

export const agentRole = pgEnum('agent_role', ['owner', 'admin', 'agent']);
export const conversationStatus = pgEnum('conversation_status', ['open', 'pending', 'resolved', 'snoozed']);
export const authorKind = pgEnum('author_kind', ['visitor', 'agent', 'system', 'bot']);

/** Server-wide settings, such as the token signing secret generated on first start. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

/** A tenant: owns sites and agents. Nothing crosses from one account to another. */
export const accounts = pgTable('accounts', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export interface WidgetSettingsColumn {
  title: string;
  greeting: string;
  color: string;
  position: 'right' | 'left';
  /** Shown above agents' replies instead of each agent's own name, when set. */
  teamName?: string;
  launcherLabel?: string;
  /** BCP 47, e.g. "en" or "fr-CA". */
  locale?: string;
  /** Free text such as "in a few minutes", shown while the team is online. */
  expectedReplyTime?: string;
}

/** Opening hours in the site's time zone; days without an entry are closed. */
export interface BusinessHoursColumn {
  timeZone: string;
  /** Keyed by day: mon…sun → [["09:00","17:30"], …]. */
  days: Partial<Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', [string, string][]>>;
}

export const sites = pgTable('sites', {
  id: uuid('id').primaryKey().defaultRandom(),
  accountId: uuid('account_id').notNull().references(() => accounts.id, { onDelete: 'cascade' }),
  /** The public key in the script tag's data-site. Not a secret. */
  publicKey: text('public_key').notNull().unique(),
  name: text('name').notNull(),
  /** Exact origins (scheme://host[:port]) allowed to embed the widget. */
  allowedOrigins: text('allowed_origins').array().notNull().default(sql`'{}'::text[]`),
  widgetSettings: jsonb('widget_settings').$type<WidgetSettingsColumn>().notNull(),
  businessHours: jsonb('business_hours').$type<BusinessHoursColumn>(),
  /** HMAC key for identity verification (examples/identity); rotated through the API. */
  identitySecret: text('identity_secret'),
  /** Visitors must present a signed identity before they may chat. */
  requireIdentity: boolean('require_identity').notNull().default(false),
  /** New conversations go to the account's bot (by webhook) until it hands off to a human. */
  botFirst: boolean('bot_first').notNull().default(false),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('sites_account_idx').on(t.accountId)]);

export const agents = pgTable('agents', {
  id: uuid('id').primaryKey().defaultRandom(),
  accountId: uuid('account_id').notNull().references(() => accounts.id, { onDelete: 'cascade' }),
  /** Stored lower-case; one login per email across the installation. */
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  /** scrypt$N$r$p$salt$hash, see server/services/passwords.ts */
  passwordHash: text('password_hash').notNull(),
  role: agentRole('role').notNull().default('agent'),
  /** Most unresolved conversations routing gives this agent; null = no limit. */
  capacity: integer('capacity'),
  /** Set when deactivated: their tokens stop working and they cannot sign in. */
  deactivatedAt: timestamp('deactivated_at', { withTimezone: true }),
  /** Tokens issued before this are refused (password changed or reset). */
  tokensValidAfter: timestamp('tokens_valid_after', { withTimezone: true }),
  /** When routing last gave them a conversation: between equally loaded agents, the longest wait goes first. */
  lastRoutedAt: timestamp('last_routed_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('agents_account_idx').on(t.accountId)]);

export const visitors = pgTable('visitors', {
  id: uuid('id').primaryKey().defaultRandom(),
  siteId: uuid('site_id').notNull().references(() => sites.id, { onDelete: 'cascade' }),
  name: text('name'),
  email: text('email'),
  /** The site's own user id, for visitors identified with a signature (identity verification). */
  externalId: text('external_id'),
  /** Custom attributes set through the API (plan, company, …): string, number or boolean values. */
  attributes: jsonb('attributes').$type<Record<string, string | number | boolean>>().notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('visitors_site_idx').on(t.siteId),
  // One visitor per identified user of a site, whatever device they come back on.
  uniqueIndex('visitors_site_external_id').on(t.siteId, t.externalId).where(sql`external_id is not null`),
]);

export const conversations = pgTable('conversations', {
  id: uuid('id').primaryKey().defaultRandom(),
  siteId: uuid('site_id').notNull().references(() => sites.id, { onDelete: 'cascade' }),
  visitorId: uuid('visitor_id').notNull().references(() => visitors.id, { onDelete: 'cascade' }),
  assigneeId: uuid('assignee_id').references(() => agents.id, { onDelete: 'set null' }),
  status: conversationStatus('status').notNull().default('open'),
  /** Sequence number of the newest message; bumped in the same transaction as each insert. */
  lastSeq: integer('last_seq').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  /** A snoozed conversation reopens by itself at this time (services/snoozes.ts). */
  snoozedUntil: timestamp('snoozed_until', { withTimezone: true }),
  /** The first agent or bot reply, for first-response-time reports; set by the message store. */
  firstReplyAt: timestamp('first_reply_at', { withTimezone: true }),
  /** The site's bot has it: routing waits until the bot hands off. */
  withBot: boolean('with_bot').notNull().default(false),
}, (t) => [
  // No index may hold a column that every message changes (updated_at, last_seq): then the
  // per-message UPDATE of this row is HOT, touching no index at all (bench/: PostgreSQL CPU per
  // message). The inbox sorts a site's conversations of one status by updated_at after the lookup.
  index('conversations_site_status_idx').on(t.siteId, t.status),
  index('conversations_assignee_idx').on(t.assigneeId, t.status),
  // A returning visitor's latest conversation (latestConversationOf); free on the message path,
  // whose updates are HOT.
  index('conversations_visitor_idx').on(t.visitorId, t.createdAt),
  // A visitor has at most one unresolved conversation, even when two tabs start one at once.
  uniqueIndex('conversations_one_active_per_visitor').on(t.visitorId).where(sql`status <> 'resolved'`),
  // Not `where status = 'snoozed'`: a value added to an enum cannot be used in the migration that adds it.
  index('conversations_snoozed_idx').on(t.snoozedUntil).where(sql`snoozed_until is not null`),
]);

export const messages = pgTable('messages', {
  id: uuid('id').primaryKey().defaultRandom(),
  conversationId: uuid('conversation_id').notNull()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  seq: integer('seq').notNull(),
  clientId: text('client_id').notNull(),
  authorKind: authorKind('author_kind').notNull(),
  /** visitor id or agent id, by authorKind; null for system and bot messages */
  authorId: uuid('author_id'),
  /** A bot's own name (bots have no agent row). */
  authorName: text('author_name'),
  body: text('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('messages_conversation_seq').on(t.conversationId, t.seq),
  uniqueIndex('messages_conversation_client_id').on(t.conversationId, t.clientId),
  // Full-text search of the conversation list ('simple': no language's stemming is assumed).
  // fastupdate off: with it on, inserts gather in a pending list that one unlucky insert merges
  // into the index every few seconds, and that commit (and every message batched with it) waited
  // ~100 ms at 3,000 msg/s. Off, each insert pays a little more, evenly
  // (bench/experiments/index-costs.ts).
  index('messages_body_search_idx').using('gin', sql`to_tsvector('simple', ${t.body})`).with({ fastupdate: 'off' }),
  index('messages_created_idx').on(t.createdAt),
]);

/**
 * Private notes: agents' remarks on a conversation. Kept apart from messages so that no visitor path
 * (socket, sync, widget) can ever reach one, and so that the visitor's seq has no holes.
 */
export const notes = pgTable('notes', {
  id: uuid('id').primaryKey().defaultRandom(),
  conversationId: uuid('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  authorId: uuid('author_id').references(() => agents.id, { onDelete: 'set null' }),
  authorName: text('author_name').notNull(),
  body: text('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('notes_conversation_idx').on(t.conversationId, t.createdAt)]);

/** Long-lived API tokens: shown once, stored as a SHA-256 hash, scoped to one account and a role. */
export const apiTokens = pgTable('api_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  accountId: uuid('account_id').notNull().references(() => accounts.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  role: agentRole('role').notNull(),
  /** The first characters of the token, shown in lists so an owner can tell tokens apart. */
  prefix: text('prefix').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdBy: uuid('created_by').references(() => agents.id, { onDelete: 'set null' }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
}, (t) => [index('api_tokens_account_idx').on(t.accountId)]);

/** A pending invitation: the link carries a token whose hash is stored; accepting sets a password. */
export const invitations = pgTable('invitations', {
  id: uuid('id').primaryKey().defaultRandom(),
  accountId: uuid('account_id').notNull().references(() => accounts.id, { onDelete: 'cascade' }),
  email: text('email').notNull(),
  name: text('name').notNull(),
  role: agentRole('role').notNull().default('agent'),
  tokenHash: text('token_hash').notNull().unique(),
  invitedBy: uuid('invited_by').references(() => agents.id, { onDelete: 'set null' }),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  acceptedAt: timestamp('accepted_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('invitations_account_idx').on(t.accountId)]);

/** Saved replies, for one site or (siteId null) the whole account. */
export const cannedResponses = pgTable('canned_responses', {
  id: uuid('id').primaryKey().defaultRandom(),
  accountId: uuid('account_id').notNull().references(() => accounts.id, { onDelete: 'cascade' }),
  siteId: uuid('site_id').references(() => sites.id, { onDelete: 'cascade' }),
  shortcut: text('shortcut').notNull(),
  body: text('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('canned_responses_account_idx').on(t.accountId),
  // One reply per shortcut for the account-wide set and for each site, even when two admins save at once.
  uniqueIndex('canned_responses_shortcut').on(t.accountId, sql`coalesce(${t.siteId}, '00000000-0000-0000-0000-000000000000'::uuid)`, t.shortcut),
]);

export const webhooks = pgTable('webhooks', {
  id: uuid('id').primaryKey().defaultRandom(),
  accountId: uuid('account_id').notNull().references(() => accounts.id, { onDelete: 'cascade' }),
  url: text('url').notNull(),
  events: text('events').array().notNull(),
  /** HMAC-SHA256 key of Parley-Signature; shown once at creation. */
  secret: text('secret').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  /** Why Parley disabled it (failing for too long); null when an owner did, or while enabled. */
  disabledReason: text('disabled_reason'),
  /** Start of the current run of failed deliveries; null after a success. */
  failingSince: timestamp('failing_since', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('webhooks_account_idx').on(t.accountId)]);

export const deliveryStatus = pgEnum('delivery_status', ['pending', 'succeeded', 'failed']);

/** One event for one webhook: persisted first, then claimed by a worker on any node (FOR UPDATE SKIP LOCKED). */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: uuid('id').primaryKey().defaultRandom(),
  webhookId: uuid('webhook_id').notNull().references(() => webhooks.id, { onDelete: 'cascade' }),
  /** Parley-Event-Id: the same for every webhook that receives this event, and across retries. */
  eventId: uuid('event_id').notNull(),
  eventType: text('event_type').notNull(),
  /** The exact body sent (and signed). */
  payload: text('payload').notNull(),
  status: deliveryStatus('status').notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  completedAt: timestamp('completed_at', { withTimezone: true }),
}, (t) => [
  index('webhook_deliveries_webhook_idx').on(t.webhookId, t.createdAt),
  index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
]);

export const webhookAttempts = pgTable('webhook_attempts', {
  id: uuid('id').primaryKey().defaultRandom(),
  deliveryId: uuid('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
  attemptedAt: timestamp('attempted_at', { withTimezone: true }).notNull().defaultNow(),
  /** null when no response came (refused, timed out, DNS). */
  statusCode: integer('status_code'),
  latencyMs: integer('latency_ms').notNull(),
  /** The first 1 KiB of the response body, or the network error. */
  excerpt: text('excerpt').notNull(),
}, (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.attemptedAt)]);

export type Site = typeof sites.$inferSelect;
export type Agent = typeof agents.$inferSelect;
export type Visitor = typeof visitors.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type Note = typeof notes.$inferSelect;
export type ApiToken = typeof apiTokens.$inferSelect;
export type Invitation = typeof invitations.$inferSelect;
export type CannedResponse = typeof cannedResponses.$inferSelect;
export type Webhook = typeof webhooks.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type WebhookAttempt = typeof webhookAttempts.$inferSelect;
