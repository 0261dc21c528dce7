// First start: an empty database gets a demo account, a demo site that the example page may embed,
// and an owner. ADMIN_EMAIL / ADMIN_PASSWORD set the owner's credentials; without a password one is
// generated and shown once.
import { randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { WidgetSettings } from '../../protocol/index.ts';
import { generatePassword, hashPassword } from './passwords.ts';

export const DEFAULT_ADMIN_EMAIL = 'admin@example.com';

export const DEFAULT_WIDGET_SETTINGS: WidgetSettings = {
  title: 'Chat with us',
  greeting: 'Hi! Ask us anything, we usually reply in a few minutes.',
  color: '#4f46e5',
  position: 'right',
};

export function newSiteKey(): string {
  return `site_${randomBytes(12).toString('base64url')}`;
}

export interface BootstrapResult {
  /** True when this start created the demo data. */
  created: boolean;
  siteKey: string;
  /** The first site's id and origins, for the banner's "allow your own website" commands. */
  siteId: string;
  allowedOrigins: string[];
  adminEmail: string;
  /** Only when it was generated right now: shown once. */
  generatedPassword?: string;
}

export async function bootstrap(db: Db, options: {
  adminEmail?: string | undefined;
  adminPassword?: string | undefined;
  exampleOrigins: string[];
}): Promise<BootstrapResult> {
  const adminEmail = (options.adminEmail ?? DEFAULT_ADMIN_EMAIL).trim().toLowerCase();
  // The first site made: the demo, also after an owner has added others.
  const [existing] = await db.select().from(schema.sites).orderBy(asc(schema.sites.createdAt)).limit(1);
  if (existing) {
    // The environment stays the source of truth for the admin password when it is set.
    if (options.adminPassword) {
      await db.update(schema.agents).set({ passwordHash: await hashPassword(options.adminPassword) })
        .where(eq(schema.agents.email, adminEmail));
    }
    return { created: false, siteKey: existing.publicKey, siteId: existing.id, allowedOrigins: existing.allowedOrigins, adminEmail };
  }
  const password = options.adminPassword ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const siteKey = newSiteKey();
  const siteId = await db.transaction(async (tx) => {
    const [account] = await tx.insert(schema.accounts).values({ name: 'Demo' }).returning();
    if (!account) throw new Error('account insert returned nothing');
    const [site] = await tx.insert(schema.sites).values({
      accountId: account.id,
      publicKey: siteKey,
      name: 'Demo shop',
      allowedOrigins: options.exampleOrigins,
      widgetSettings: DEFAULT_WIDGET_SETTINGS,
    }).returning({ id: schema.sites.id });
    await tx.insert(schema.agents).values({
      accountId: account.id, email: adminEmail, name: 'Admin', passwordHash, role: 'owner',
    });
    return site!.id;
  });
  return {
    created: true,
    siteKey,
    siteId,
    allowedOrigins: options.exampleOrigins,
    adminEmail,
    ...(options.adminPassword ? {} : { generatedPassword: password }),
  };
}
