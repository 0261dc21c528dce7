// Every table. Migrations in db/migrations/ are generated from this file by `npm run db:generate`
// (drizzle-kit), committed, and never edited once released.
import { sql } from 'drizzle-orm';
import {
  pgTable, pgEnum, uuid, text, timestamp, integer, jsonb, index, uniqueIndex,
} from 'drizzle-orm/pg-core';

export const agentRole = pgEnum('agent_role', ['owner', 'admin', 'agent']);
export const conversationStatus = pgEnum('conversation_status', ['open', 'pending', 'resolved']);
export const authorKind = pgEnum('author_kind', ['visitor', 'agent', 'system']);

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
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('agents_account_idx').on(t.accountId)]);

export const visitors = pgTable('visitors', {
  id: uuid('id').primaryKey().defaultRandom(),
  siteId: uuid('site_id').notNull().references(() => sites.id, { onDelete: 'cascade' }),
  name: text('name'),
  email: text('email'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('visitors_site_idx').on(t.siteId)]);

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
]);

export const messages = pgTable('messages', {
  id: uuid('id').primaryKey().defaultRandom(),
  conversationId: uuid('conversation_id').notNull()
    .references(() => conversations.id, { onDelete: 'cascade' }),
  seq: integer('seq').notNull(),
  clientId: text('client_id').notNull(),
  authorKind: authorKind('author_kind').notNull(),
  /** visitor id or agent id, by authorKind; null for system messages */
  authorId: uuid('author_id'),
  body: text('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('messages_conversation_seq').on(t.conversationId, t.seq),
  uniqueIndex('messages_conversation_client_id').on(t.conversationId, t.clientId),
]);

export type Site = typeof sites.$inferSelect;
export type Agent = typeof agents.$inferSelect;
export type Visitor = typeof visitors.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;
export type Message = typeof messages.$inferSelect;
