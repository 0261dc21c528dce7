// Long-lived API tokens for scripts and integrations. The token is shown once; only its SHA-256 is
// stored (it is 256 random bits, so a fast hash is enough: nothing to brute-force). The fixed prefix
// lets secret scanners (GitHub's, gitleaks) recognise a leaked one.
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { AgentRole, ApiTokenView } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import { atLeast, type Caller } from './access.ts';
import { isUuid } from './ids.ts';

export const API_TOKEN_PREFIX = 'parley_pat_';
/** How many characters of a token its list entry shows. */
const SHOWN_CHARS = API_TOKEN_PREFIX.length + 6;
/** last_used_at is written at most this often per token, not on every request. */
const TOUCH_EVERY_MS = 60_000;

export function isApiToken(token: string): boolean {
  return token.startsWith(API_TOKEN_PREFIX);
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

function toView(row: schema.ApiToken): ApiTokenView {
  return {
    id: row.id, name: row.name, role: row.role, prefix: row.prefix,
    createdAt: row.createdAt.toISOString(), lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

export class ApiTokens {
  private readonly touched = new Map<string, number>();

  constructor(private readonly db: Db) {}

  /** A new token: the only time its secret is returned. */
  async create(caller: Caller, input: { name: string; role: AgentRole }): Promise<ApiTokenView & { token: string }> {
    // No one hands out more than they hold: an admin cannot mint an owner's token.
    if (!atLeast(caller.role, input.role)) throw new AppError('FORBIDDEN', `Only an ${input.role} or higher can create an ${input.role} token`);
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const [row] = await this.db.insert(schema.apiTokens).values({
      accountId: caller.accountId, name: input.name.trim(), role: input.role,
      prefix: token.slice(0, SHOWN_CHARS), tokenHash: hashOf(token), createdBy: caller.agentId,
    }).returning();
    return { ...toView(row!), token };
  }

  async list(caller: Caller): Promise<ApiTokenView[]> {
    const rows = await this.db.select().from(schema.apiTokens)
      .where(and(eq(schema.apiTokens.accountId, caller.accountId), isNull(schema.apiTokens.revokedAt)))
      .orderBy(desc(schema.apiTokens.createdAt));
    return rows.map(toView);
  }

  /** Revoked at once: the next request with it is refused. */
  async revoke(caller: Caller, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('Token not found');
    const revoked = await this.db.update(schema.apiTokens).set({ revokedAt: new Date() })
      .where(and(eq(schema.apiTokens.id, id), eq(schema.apiTokens.accountId, caller.accountId), isNull(schema.apiTokens.revokedAt)))
      .returning({ id: schema.apiTokens.id });
    if (revoked.length === 0) throw notFound('Token not found');
  }

  /** The caller a live token stands for, or null. */
  async authenticate(token: string): Promise<Caller | null> {
    const [row] = await this.db.select().from(schema.apiTokens).where(eq(schema.apiTokens.tokenHash, hashOf(token)));
    if (!row || row.revokedAt) return null;
    const now = Date.now();
    if (now - (this.touched.get(row.id) ?? 0) > TOUCH_EVERY_MS) {
      this.touched.set(row.id, now);
      await this.db.update(schema.apiTokens).set({ lastUsedAt: new Date(now) }).where(eq(schema.apiTokens.id, row.id));
    }
    return { accountId: row.accountId, role: row.role, agentId: null, tokenId: row.id, name: row.name };
  }
}
