// The account's sites: where the widget may be embedded, how it looks, when the team is in, and the
// secret that signs visitors' identities. The identity secret leaves the server twice only: in the
// answers of create and rotate; every other view says `hasIdentitySecret`.
import { randomBytes } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { BusinessHours, SiteView, WidgetSettings } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import type { Caller } from './access.ts';
import { DEFAULT_WIDGET_SETTINGS, newSiteKey } from './bootstrap.ts';
import { businessHoursProblem } from './business-hours.ts';
import { isUuid } from './ids.ts';
import { OriginListError, normaliseAllowedOrigins } from './origins.ts';
import { decodeCursor, pageOf, type Page } from './pagination.ts';
import { toSiteView } from './views.ts';

const { sites } = schema;
const SITE_NOT_FOUND = 'Site not found';
/** #rgb, #rgba, #rrggbb or #rrggbbaa: what the widget can put in a CSS custom property safely. */
const HEX_COLOUR = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/** Optional text settings take null to go back to the widget's default. */
type OptionalText = 'teamName' | 'launcherLabel' | 'locale' | 'expectedReplyTime';
export type WidgetSettingsChange = Partial<Omit<WidgetSettings, OptionalText>> & { [K in OptionalText]?: string | null };

export interface SiteInput {
  name: string;
  allowedOrigins?: string[];
  settings?: WidgetSettingsChange;
  businessHours?: BusinessHours | null;
  requireIdentity?: boolean;
  botFirst?: boolean;
}
export type SiteChange = Partial<SiteInput>;

export function newIdentitySecret(): string {
  return randomBytes(32).toString('hex');
}

function checkedOrigins(origins: string[]): string[] {
  try {
    return normaliseAllowedOrigins(origins);
  } catch (error) {
    if (error instanceof OriginListError) throw new AppError('VALIDATION_FAILED', error.message);
    throw error;
  }
}

/** The stored settings with the change applied and checked; null removes an optional setting. */
export function mergeWidgetSettings(current: WidgetSettings, change: WidgetSettingsChange = {}): WidgetSettings {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = typeof value === 'string' ? value.trim() : value;
  }
  const settings = merged as unknown as WidgetSettings;
  if (!settings.title) throw new AppError('VALIDATION_FAILED', 'settings.title must not be blank');
  if (!HEX_COLOUR.test(settings.color)) {
    throw new AppError('VALIDATION_FAILED', `settings.color ${JSON.stringify(settings.color)} is not a CSS hex colour such as #4f46e5`);
  }
  if (settings.locale !== undefined) {
    try {
      // Intl knows BCP 47: "en", "fr-CA", "zh-Hant-TW"; it also gives the canonical case.
      const [canonical] = Intl.getCanonicalLocales(settings.locale);
      if (!canonical) throw new RangeError('empty');
      settings.locale = canonical;
    } catch {
      throw new AppError('VALIDATION_FAILED', `settings.locale ${JSON.stringify(settings.locale)} is not a BCP 47 language tag such as en or fr-CA`);
    }
  }
  for (const key of ['teamName', 'launcherLabel', 'expectedReplyTime'] as const) {
    if (settings[key] === '') delete settings[key];
  }
  return settings;
}

function checkedBusinessHours(hours: BusinessHours | null | undefined): BusinessHours | null | undefined {
  if (!hours) return hours;
  const problem = businessHoursProblem(hours);
  if (problem) throw new AppError('VALIDATION_FAILED', problem);
  return hours;
}

export class Sites {
  constructor(private readonly db: Db) {}

  /** The account's sites, newest first. */
  async list(caller: Caller, page: { cursor?: string | undefined; limit: number }): Promise<Page<SiteView>> {
    const after = decodeCursor(page.cursor, 2);
    // Well-formed JSON is not enough: the values go into casts, where a bad one would be a 500.
    if (after && (!isUuid(after[1]) || typeof after[0] !== 'string' || Number.isNaN(Date.parse(after[0])))) {
      throw new AppError('VALIDATION_FAILED', 'Invalid cursor');
    }
    const position = after
      ? sql`(${sites.createdAt}, ${sites.id}) < (${String(after[0])}::timestamptz, ${String(after[1])}::uuid)`
      : undefined;
    const rows = await this.db
      // created_at as text keeps its microseconds, which a JavaScript Date would drop from the cursor.
      .select({ site: sites, createdAtText: sql<string>`${sites.createdAt}::text` })
      .from(sites)
      .where(and(eq(sites.accountId, caller.accountId), position))
      .orderBy(desc(sites.createdAt), desc(sites.id))
      .limit(page.limit + 1);
    return pageOf(rows, page.limit, (row) => [row.createdAtText, row.site.id], (row) => toSiteView(row.site));
  }

  async get(caller: Caller, id: string): Promise<SiteView> {
    return toSiteView(await this.row(caller, id));
  }

  /** A new site with a new public key, and its identity secret: the only time it is shown, with rotate. */
  async create(caller: Caller, input: SiteInput): Promise<{ site: SiteView; identitySecret: string }> {
    const identitySecret = newIdentitySecret();
    const [row] = await this.db.insert(sites).values({
      accountId: caller.accountId,
      publicKey: newSiteKey(),
      name: input.name.trim(),
      allowedOrigins: checkedOrigins(input.allowedOrigins ?? []),
      widgetSettings: mergeWidgetSettings(DEFAULT_WIDGET_SETTINGS, input.settings),
      businessHours: checkedBusinessHours(input.businessHours) ?? null,
      identitySecret,
      requireIdentity: input.requireIdentity ?? false,
      botFirst: input.botFirst ?? false,
    }).returning();
    return { site: toSiteView(row!), identitySecret };
  }

  /** Changes what the change names; `settings` is merged into the current settings. */
  async update(caller: Caller, id: string, change: SiteChange): Promise<SiteView> {
    const current = await this.row(caller, id);
    const values: Partial<schema.Site> = {};
    if (change.name !== undefined) values.name = change.name.trim();
    if (change.allowedOrigins !== undefined) values.allowedOrigins = checkedOrigins(change.allowedOrigins);
    if (change.settings !== undefined) values.widgetSettings = mergeWidgetSettings(current.widgetSettings, change.settings);
    if (change.businessHours !== undefined) values.businessHours = checkedBusinessHours(change.businessHours) ?? null;
    if (change.requireIdentity !== undefined) {
      // Sites made before identity verification have no secret: requiring one would lock everyone out.
      if (change.requireIdentity && current.identitySecret === null) {
        throw new AppError('VALIDATION_FAILED', 'requireIdentity needs an identity secret: rotate one first (POST /api/v1/sites/:id/identity-secret)');
      }
      values.requireIdentity = change.requireIdentity;
    }
    if (change.botFirst !== undefined) values.botFirst = change.botFirst;
    if (Object.keys(values).length === 0) return toSiteView(current);
    const [row] = await this.db.update(sites).set(values)
      .where(and(eq(sites.id, current.id), eq(sites.accountId, caller.accountId))).returning();
    if (!row) throw notFound(SITE_NOT_FOUND);
    return toSiteView(row);
  }

  /** Gone with everything under it: its visitors, their conversations and messages (by cascade). */
  async remove(caller: Caller, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound(SITE_NOT_FOUND);
    const deleted = await this.db.delete(sites)
      .where(and(eq(sites.id, id), eq(sites.accountId, caller.accountId))).returning({ id: sites.id });
    if (deleted.length === 0) throw notFound(SITE_NOT_FOUND);
  }

  /** A new identity secret, returned once; user hashes signed with the old one stop verifying at once. */
  async rotateIdentitySecret(caller: Caller, id: string): Promise<{ site: SiteView; identitySecret: string }> {
    if (!isUuid(id)) throw notFound(SITE_NOT_FOUND);
    const identitySecret = newIdentitySecret();
    const [row] = await this.db.update(sites).set({ identitySecret })
      .where(and(eq(sites.id, id), eq(sites.accountId, caller.accountId))).returning();
    if (!row) throw notFound(SITE_NOT_FOUND);
    return { site: toSiteView(row), identitySecret };
  }

  /** The site if it is the caller's account's; another account's is NOT_FOUND, like a missing one. */
  async row(caller: Caller, id: string): Promise<schema.Site> {
    if (!isUuid(id)) throw notFound(SITE_NOT_FOUND);
    const [row] = await this.db.select().from(sites).where(and(eq(sites.id, id), eq(sites.accountId, caller.accountId)));
    if (!row) throw notFound(SITE_NOT_FOUND);
    return row;
  }
}
