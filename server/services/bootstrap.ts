// First start: an empty database gets a demo account, a demo site that the example page may embed,
// and an owner. ADMIN_EMAIL / ADMIN_PASSWORD set the owner's credentials; without a password one is
// generated and shown once.
import { randomBytes } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { WidgetSettings } from '../../protocol/index.ts';
import { generatePassword, hashPassword } from './passwords.ts';

// Any fixed number shared by every node (db/index.ts holds the migrations').
const FIRST_START_LOCK = 727_274_002;

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
  // Nodes started together on an empty database would each find no site and create the demo
  // data; the later one would then fail on the owner's unique e-mail and exit. A transaction-level
  // advisory lock makes them take turns: the next one waits for the first's commit, then finds its
  // site. It is released at commit or rollback, and costs nothing on PGlite (one process).
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${FIRST_START_LOCK})`);
    // The first site made: the demo, also after an owner has added others.
    const [existing] = await tx.select().from(schema.sites).orderBy(asc(schema.sites.createdAt)).limit(1);
    if (existing) {
      // The environment stays the source of truth for the admin password when it is set.
      if (options.adminPassword) {
        await tx.update(schema.agents).set({ passwordHash: await hashPassword(options.adminPassword) })
          .where(eq(schema.agents.email, adminEmail));
      }
      return { created: false, siteKey: existing.publicKey, siteId: existing.id, allowedOrigins: existing.allowedOrigins, adminEmail };
    }
    const password = options.adminPassword ?? generatePassword();
    const siteKey = newSiteKey();
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
      accountId: account.id, email: adminEmail, name: 'Admin', passwordHash: await hashPassword(password), role: 'owner',
    });
    return {
      created: true,
      siteKey,
      siteId: site!.id,
      allowedOrigins: options.exampleOrigins,
      adminEmail,
      ...(options.adminPassword ? {} : { generatedPassword: password }),
    };
  });
}
