// Visitors as the account sees them: read, correct (name, e-mail, custom attributes) and erase. Every
// query is scoped to the caller's account through the visitor's site; another account's visitor is
// NOT_FOUND. Erasure is the right to erasure (GDPR art. 17): the visitor row and everything they
// wrote or that was written about them goes, in one transaction.
import { and, eq, inArray } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { VisitorView } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import type { Caller } from './access.ts';
import type { DomainEvents } from './events.ts';
import { isUuid } from './ids.ts';
import { toVisitorView } from './views.ts';

const { visitors, sites, conversations, messages, notes } = schema;

export type AttributeValue = string | number | boolean;

/** A visitor's custom attributes are for a handful of facts (plan, company), not a document store. */
export const MAX_ATTRIBUTES = 50;

export interface VisitorPatch {
  name?: string | null;
  email?: string | null;
  /** Keys to set; a null value removes the key. */
  attributes?: Record<string, AttributeValue | null>;
}

export interface Erasure {
  visitorId: string;
  conversations: number;
  messages: number;
  notes: number;
}

export class Visitors {
  constructor(private readonly db: Db, private readonly events: DomainEvents) {}

  async get(caller: Caller, visitorId: string): Promise<VisitorView> {
    return toVisitorView(await this.require(this.db, caller, visitorId));
  }

  async update(caller: Caller, visitorId: string, patch: VisitorPatch): Promise<VisitorView> {
    const updated = await this.db.transaction(async (tx) => {
      // Locked, so that two PATCHes of different keys both land and the limit holds for their sum.
      const visitor = await this.require(tx, caller, visitorId, true);
      const attributes = patch.attributes ? mergeAttributes(visitor.attributes, patch.attributes) : visitor.attributes;
      const [row] = await tx.update(visitors).set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.email !== undefined ? { email: patch.email } : {}),
        attributes,
      }).where(eq(visitors.id, visitor.id)).returning();
      return row!;
    });
    const view = toVisitorView(updated);
    this.events.emit('visitor.updated', { accountId: caller.accountId, visitor: view });
    return view;
  }

  /**
   * Deletes the visitor's messages, notes, conversations and the visitor, and says how many of
   * each. The foreign keys would cascade from the visitor row alone; the explicit deletes are what
   * count. Webhook deliveries already sent keep their copies, outside Parley's reach.
   */
  async erase(caller: Caller, visitorId: string): Promise<Erasure> {
    const { erasure, siteId, conversationIds } = await this.db.transaction(async (tx) => {
      const visitor = await this.require(tx, caller, visitorId, true);
      const owned = await tx.select({ id: conversations.id }).from(conversations)
        .where(eq(conversations.visitorId, visitor.id)).for('update');
      const ids = owned.map((row) => row.id);
      const removedMessages = ids.length > 0
        ? await tx.delete(messages).where(inArray(messages.conversationId, ids)).returning({ id: messages.id }) : [];
      const removedNotes = ids.length > 0
        ? await tx.delete(notes).where(inArray(notes.conversationId, ids)).returning({ id: notes.id }) : [];
      if (ids.length > 0) await tx.delete(conversations).where(inArray(conversations.id, ids));
      await tx.delete(visitors).where(eq(visitors.id, visitor.id));
      return {
        siteId: visitor.siteId,
        conversationIds: ids,
        erasure: { visitorId: visitor.id, conversations: ids.length, messages: removedMessages.length, notes: removedNotes.length },
      };
    });
    this.events.emit('visitor.erased', { accountId: caller.accountId, siteId, visitorId: erasure.visitorId, conversationIds, messages: erasure.messages });
    return erasure;
  }

  private async require(db: Db, caller: Caller, visitorId: string, lock = false): Promise<schema.Visitor> {
    if (!isUuid(visitorId)) throw notFound('Visitor not found');
    const query = db.select({ visitor: visitors }).from(visitors)
      .innerJoin(sites, eq(sites.id, visitors.siteId))
      .where(and(eq(visitors.id, visitorId), eq(sites.accountId, caller.accountId)));
    const [row] = lock ? await query.for('update', { of: visitors }) : await query;
    if (!row) throw notFound('Visitor not found');
    return row.visitor;
  }
}

/** The stored attributes with the patch applied; VALIDATION_FAILED when the result holds too many. */
export function mergeAttributes(current: Record<string, AttributeValue>, patch: Record<string, AttributeValue | null>): Record<string, AttributeValue> {
  const merged: Record<string, AttributeValue> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  if (Object.keys(merged).length > MAX_ATTRIBUTES) {
    throw new AppError('VALIDATION_FAILED', `A visitor can have at most ${MAX_ATTRIBUTES} attributes`);
  }
  return merged;
}

