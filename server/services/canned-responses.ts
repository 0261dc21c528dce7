// Canned responses: replies an agent inserts by typing their shortcut. One set for the whole account
// (siteId null) and one per site; a site's list is both. A shortcut names one reply per account and
// site, so typing it is never ambiguous.
import { and, asc, eq, isNull, ne, or, type SQL } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { CannedResponseView } from '../../protocol/index.ts';
import { pgErrorKind } from '../../db/errors.ts';
import { AppError, notFound } from '../errors.ts';
import type { Caller } from './access.ts';
import { isUuid } from './ids.ts';

const { cannedResponses, sites } = schema;
const CANNED_NOT_FOUND = 'Canned response not found';

export interface CannedResponseInput { shortcut: string; body: string; siteId?: string | null }

function toView(row: schema.CannedResponse): CannedResponseView {
  return {
    id: row.id, siteId: row.siteId, shortcut: row.shortcut, body: row.body,
    createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
  };
}

/** Shortcuts are typed after a slash in the composer: compared without case or surrounding space. */
const normaliseShortcut = (shortcut: string) => shortcut.trim().toLowerCase();

export class CannedResponses {
  constructor(private readonly db: Db) {}

  /** With a site: the account-wide ones and that site's. Without: all of the account's. By shortcut. */
  async list(caller: Caller, siteId?: string): Promise<CannedResponseView[]> {
    let scope: SQL | undefined;
    if (siteId !== undefined) {
      await this.checkSite(caller, siteId);
      scope = or(isNull(cannedResponses.siteId), eq(cannedResponses.siteId, siteId));
    }
    const rows = await this.db.select().from(cannedResponses)
      .where(and(eq(cannedResponses.accountId, caller.accountId), scope))
      .orderBy(asc(cannedResponses.shortcut), asc(cannedResponses.siteId));
    return rows.map(toView);
  }

  async create(caller: Caller, input: CannedResponseInput): Promise<CannedResponseView> {
    const siteId = input.siteId ?? null;
    if (siteId !== null) await this.checkSite(caller, siteId);
    const shortcut = normaliseShortcut(input.shortcut);
    await this.checkShortcutFree(caller, shortcut, siteId, null);
    const [row] = await this.db.insert(cannedResponses).values({
      accountId: caller.accountId, siteId, shortcut, body: input.body.trim(),
    }).returning().catch(sameShortcut(shortcut));
    return toView(row!);
  }

  async update(caller: Caller, id: string, change: Partial<CannedResponseInput>): Promise<CannedResponseView> {
    const current = await this.row(caller, id);
    const siteId = change.siteId === undefined ? current.siteId : change.siteId;
    if (siteId !== null && siteId !== current.siteId) await this.checkSite(caller, siteId);
    const shortcut = change.shortcut === undefined ? current.shortcut : normaliseShortcut(change.shortcut);
    if (shortcut !== current.shortcut || siteId !== current.siteId) await this.checkShortcutFree(caller, shortcut, siteId, current.id);
    const [row] = await this.db.update(cannedResponses).set({
      shortcut, siteId, ...(change.body !== undefined ? { body: change.body.trim() } : {}), updatedAt: new Date(),
    }).where(and(eq(cannedResponses.id, current.id), eq(cannedResponses.accountId, caller.accountId))).returning()
      .catch(sameShortcut(shortcut));
    if (!row) throw notFound(CANNED_NOT_FOUND);
    return toView(row);
  }

  async remove(caller: Caller, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound(CANNED_NOT_FOUND);
    const deleted = await this.db.delete(cannedResponses)
      .where(and(eq(cannedResponses.id, id), eq(cannedResponses.accountId, caller.accountId)))
      .returning({ id: cannedResponses.id });
    if (deleted.length === 0) throw notFound(CANNED_NOT_FOUND);
  }

  private async row(caller: Caller, id: string): Promise<schema.CannedResponse> {
    if (!isUuid(id)) throw notFound(CANNED_NOT_FOUND);
    const [row] = await this.db.select().from(cannedResponses)
      .where(and(eq(cannedResponses.id, id), eq(cannedResponses.accountId, caller.accountId)));
    if (!row) throw notFound(CANNED_NOT_FOUND);
    return row;
  }

  /** Another account's site is NOT_FOUND, exactly like a missing one. */
  private async checkSite(caller: Caller, siteId: string): Promise<void> {
    if (isUuid(siteId)) {
      const [site] = await this.db.select({ id: sites.id }).from(sites)
        .where(and(eq(sites.id, siteId), eq(sites.accountId, caller.accountId)));
      if (site) return;
    }
    throw notFound('Site not found');
  }

  /**
   * No other reply of the account and site has the shortcut: a check before writing, for a clear
   * message; the unique index (db/schema.ts) settles two saves at the same instant (sameShortcut).
   */
  private async checkShortcutFree(caller: Caller, shortcut: string, siteId: string | null, exceptId: string | null): Promise<void> {
    const [taken] = await this.db.select({ id: cannedResponses.id }).from(cannedResponses).where(and(
      eq(cannedResponses.accountId, caller.accountId),
      eq(cannedResponses.shortcut, shortcut),
      siteId === null ? isNull(cannedResponses.siteId) : eq(cannedResponses.siteId, siteId),
      exceptId ? ne(cannedResponses.id, exceptId) : undefined,
    ));
    if (taken) throw new AppError('CONFLICT', `The shortcut "${shortcut}" is already used${siteId ? ' on this site' : ' account-wide'}`);
  }
}

/** A save that lost the race for a shortcut to another one: the same answer as the check's. */
function sameShortcut(shortcut: string) {
  return (error: unknown): never => {
    if (pgErrorKind(error) === 'unique_violation') throw new AppError('CONFLICT', `The shortcut "${shortcut}" is already used`);
    throw error;
  };
}
