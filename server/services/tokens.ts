// Signed tokens (jose, HS256). Visitors and agents get different audiences, so a visitor token can
// never open an agent session. verify* return null or a reason instead of throwing.
import { SignJWT, jwtVerify, errors } from 'jose';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';

const ISSUER = 'parley';
export const VISITOR_TOKEN_TTL = '30d';
export const AGENT_TOKEN_TTL = '12h';
/**
 * How long after expiry a visitor token may still be traded for a fresh one (never used to connect).
 * A widget renews its token on every page view, so only a visitor away this long starts afresh.
 */
export const VISITOR_RENEWAL_GRACE_SECONDS = 90 * 24 * 3600;

export interface VisitorClaims { kind: 'visitor'; visitorId: string; siteId: string }
/** issuedAt: seconds since the epoch; a password change refuses tokens issued before it. */
export interface AgentClaims { kind: 'agent'; agentId: string; accountId: string; issuedAt: number }
export type Claims = VisitorClaims | AgentClaims;

export type VerifyResult = { ok: true; claims: Claims } | { ok: false; reason: 'expired' | 'invalid' };

export class Tokens {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  signVisitor(visitorId: string, siteId: string): Promise<string> {
    return this.sign('visitor', visitorId, { site: siteId }, VISITOR_TOKEN_TTL);
  }

  signAgent(agentId: string, accountId: string): Promise<string> {
    return this.sign('agent', agentId, { acc: accountId }, AGENT_TOKEN_TTL);
  }

  private sign(audience: 'visitor' | 'agent', subject: string, claims: Record<string, string>, ttl: string): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER).setAudience(audience).setSubject(subject)
      .setIssuedAt().setExpirationTime(ttl)
      .sign(this.key);
  }

  /** Verifies signature, algorithm (HS256 only: `alg: none` and others are refused), issuer, expiry. */
  async verify(token: string, audience?: 'visitor' | 'agent', options: { expiredGraceSeconds?: number } = {}): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        algorithms: ['HS256'],
        ...(audience ? { audience } : {}),
        ...(options.expiredGraceSeconds ? { clockTolerance: options.expiredGraceSeconds } : {}),
      });
      const sub = payload.sub;
      const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
      if (typeof sub !== 'string') return { ok: false, reason: 'invalid' };
      if (aud === 'visitor' && typeof payload.site === 'string') {
        return { ok: true, claims: { kind: 'visitor', visitorId: sub, siteId: payload.site } };
      }
      if (aud === 'agent' && typeof payload.acc === 'string') {
        return { ok: true, claims: { kind: 'agent', agentId: sub, accountId: payload.acc, issuedAt: payload.iat ?? 0 } };
      }
      return { ok: false, reason: 'invalid' };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      return { ok: false, reason: 'invalid' };
    }
  }
}

/**
 * The signing secret: SECRET from the environment, else the one stored in the database, else a new
 * one stored there. Kept in the database so every node of a cluster shares it and restarts keep it.
 */
export async function loadSecret(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const generated = randomBytes(32).toString('base64url');
  await db.insert(schema.settings).values({ key: 'token_secret', value: generated }).onConflictDoNothing();
  const [row] = await db.select().from(schema.settings).where(eq(schema.settings.key, 'token_secret'));
  if (!row) throw new Error('token secret missing after insert');
  return row.value;
}
