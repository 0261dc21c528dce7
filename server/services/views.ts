// Rows → the views the protocol sends. The one place that decides what leaves the server.
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { schema, type Db } from '../../db/index.ts';
import type { AgentView, Availability, ConversationView, MessageView, SiteView, VisitorView } from '../../protocol/index.ts';

const { conversations, messages, visitors, agents, sites } = schema;

export function visitorDisplayName(visitor: { id: string; name: string | null }): string {
  return visitor.name || `Visitor ${visitor.id.slice(0, 6)}`;
}

/** @param authorName the agent's name, looked up by the caller; a bot's is stored on the row. */
export function toMessageView(row: schema.Message, authorName: string | null): MessageView {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    clientId: row.clientId,
    authorKind: row.authorKind,
    authorId: row.authorId,
    authorName: row.authorKind === 'bot' ? row.authorName : authorName,
    body: row.body,
    createdAt: row.createdAt.toISOString(),
  };
}

export function toAgentView(agent: schema.Agent, availability: Availability): AgentView {
  return { id: agent.id, name: agent.name, email: agent.email, role: agent.role, availability };
}

export function toVisitorView(visitor: schema.Visitor): VisitorView {
  return {
    id: visitor.id,
    siteId: visitor.siteId,
    name: visitor.name,
    email: visitor.email,
    attributes: visitor.attributes,
    createdAt: visitor.createdAt.toISOString(),
    lastSeenAt: visitor.lastSeenAt.toISOString(),
  };
}

export function toSiteView(site: schema.Site): SiteView {
  return {
    id: site.id,
    name: site.name,
    publicKey: site.publicKey,
    allowedOrigins: site.allowedOrigins,
    settings: site.widgetSettings,
    businessHours: site.businessHours,
    requireIdentity: site.requireIdentity,
    botFirst: site.botFirst,
    // Never the secret itself: it is shown once, by the call that creates or rotates it.
    hasIdentitySecret: site.identitySecret !== null,
    createdAt: site.createdAt.toISOString(),
  };
}

const lastMessage = alias(messages, 'last_message');

/** Conversations matching `where` (which may use sites.accountId), newest activity first. */
export async function conversationViews(db: Db, where: SQL | undefined, limit = 100): Promise<ConversationView[]> {
  return (await conversationRows(db, where, limit)).map((row) => row.view);
}

/**
 * The same list with each row's sort key, (updated_at, id), for keyset pages: updated_at as
 * PostgreSQL holds it, to the microsecond, since a JavaScript Date would round it to the
 * millisecond and a page boundary could then skip or repeat rows.
 */
export async function conversationRows(db: Db, where: SQL | undefined, limit: number): Promise<{ view: ConversationView; updatedAtKey: string }[]> {
  const rows = await db
    .select({
      conversation: conversations, visitor: { id: visitors.id, name: visitors.name }, last: lastMessage,
      updatedAtKey: sql<string>`to_char(${conversations.updatedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(conversations)
    .innerJoin(sites, eq(sites.id, conversations.siteId))
    .innerJoin(visitors, eq(visitors.id, conversations.visitorId))
    .leftJoin(lastMessage, and(eq(lastMessage.conversationId, conversations.id), eq(lastMessage.seq, conversations.lastSeq)))
    .where(where)
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(limit);
  return rows.map(({ conversation: c, visitor, last, updatedAtKey }) => ({
    updatedAtKey,
    view: {
      id: c.id,
      siteId: c.siteId,
      visitorId: c.visitorId,
      visitorName: visitorDisplayName(visitor),
      assigneeId: c.assigneeId,
      status: c.status,
      snoozedUntil: c.snoozedUntil?.toISOString() ?? null,
      lastSeq: c.lastSeq,
      createdAt: c.createdAt.toISOString(),
      updatedAt: c.updatedAt.toISOString(),
      lastMessage: last ? { body: last.body, authorKind: last.authorKind, createdAt: last.createdAt.toISOString() } : null,
      withBot: c.withBot,
    },
  }));
}

export async function conversationView(db: Db, conversationId: string): Promise<ConversationView | null> {
  const [view] = await conversationViews(db, eq(conversations.id, conversationId), 1);
  return view ?? null;
}

/** Messages of a conversation after `afterSeq`, oldest first, with agent names. */
export async function messagesAfter(db: Db, conversationId: string, afterSeq: number, limit: number): Promise<{ messages: MessageView[]; hasMore: boolean }> {
  const rows = await db
    .select({ message: messages, agentName: agents.name })
    .from(messages)
    .leftJoin(agents, and(eq(messages.authorKind, 'agent'), eq(agents.id, messages.authorId)))
    .where(and(eq(messages.conversationId, conversationId), sql`${messages.seq} > ${afterSeq}`))
    .orderBy(messages.seq)
    .limit(limit + 1);
  const hasMore = rows.length > limit;
  return { messages: rows.slice(0, limit).map((r) => toMessageView(r.message, r.agentName)), hasMore };
}

/** The newest `limit` messages of a conversation, oldest first. */
export async function latestMessages(db: Db, conversationId: string, limit: number): Promise<MessageView[]> {
  const rows = await db
    .select({ message: messages, agentName: agents.name })
    .from(messages)
    .leftJoin(agents, and(eq(messages.authorKind, 'agent'), eq(agents.id, messages.authorId)))
    .where(eq(messages.conversationId, conversationId))
    .orderBy(desc(messages.seq))
    .limit(limit);
  return rows.reverse().map((r) => toMessageView(r.message, r.agentName));
}
