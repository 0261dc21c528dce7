// Who is talking: visitor sessions for a site (with the Origin check), agent logins, and turning a
// token back into a principal. Returns error codes rather than throwing on bad credentials.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { LoginResponse, WidgetSessionResponse } from '../../protocol/index.ts';
import { AppError } from '../errors.ts';
import { VISITOR_RENEWAL_GRACE_SECONDS, type Tokens } from './tokens.ts';
import type { Presence } from './presence.ts';
import { decoyHash, verifyPassword } from './passwords.ts';
import { toAgentView } from './views.ts';
import { isUuid } from './ids.ts';
import { originMatches } from './origins.ts';
import { openingState } from './business-hours.ts';
import type { DomainEvents } from './events.ts';

const { sites, visitors, agents } = schema;

export interface VisitorSession {
  kind: 'visitor';
  visitor: schema.Visitor;
  site: schema.Site;
}
export interface AgentSession {
  kind: 'agent';
  agent: schema.Agent;
}
export type Session = VisitorSession | AgentSession;

export type AuthResult = { ok: true; session: Session } | { ok: false; code: 'TOKEN_EXPIRED' | 'AUTH_INVALID' };

/**
 * A visitor the site's own backend vouches for: `userHash` is hex(HMAC-SHA256(identitySecret, userId)),
 * computed on the site's server, where the secret lives (examples/identity.ts).
 */
export interface VisitorIdentity {
  userId: string;
  userHash: string;
  name?: string | undefined;
  email?: string | undefined;
}

export function originAllowed(site: schema.Site, origin: string | undefined): boolean {
  if (!origin) return false;
  return site.allowedOrigins.some((allowed) => originMatches(allowed, origin));
}

/** Whether `userHash` is the site's signature of `userId`, compared in constant time. */
export function identityVerified(secret: string | null, identity: Pick<VisitorIdentity, 'userId' | 'userHash'>): boolean {
  if (!secret) return false;
  const expected = createHmac('sha256', secret).update(identity.userId).digest();
  const given = /^[0-9a-f]{64}$/i.test(identity.userHash) ? Buffer.from(identity.userHash, 'hex') : null;
  return given !== null && timingSafeEqual(expected, given);
}

/** A deactivated agent's tokens stop at once; a password change refuses the tokens issued before it. */
export function tokenStillValid(agent: schema.Agent, issuedAtSeconds: number): boolean {
  if (agent.deactivatedAt) return false;
  // JWT times are whole seconds: the token handed out with the change, in the same second, must work.
  return !agent.tokensValidAfter || issuedAtSeconds >= Math.floor(agent.tokensValidAfter.getTime() / 1000);
}

export class Identity {
  constructor(
    private readonly db: Db,
    private readonly tokens: Tokens,
    private readonly presence: Presence,
    private readonly events?: DomainEvents,
  ) {}

  async siteByKey(publicKey: string): Promise<schema.Site | null> {
    const [site] = await this.db.select().from(sites).where(eq(sites.publicKey, publicKey));
    return site ?? null;
  }

  /**
   * A widget starting up. A signed identity is that user's visitor of the site, on any device. Without
   * one, a still-valid token of the same site keeps its anonymous visitor (and history) and is renewed;
   * anything else starts a new visitor.
   */
  async visitorSession(siteKey: string, origin: string | undefined, previousToken: string | undefined, identity?: VisitorIdentity): Promise<WidgetSessionResponse> {
    return this.visitorSessionFor(await this.siteByKey(siteKey), origin, previousToken, identity);
  }

  /** The same, for a site already looked up by its key (null: no site has it). */
  async visitorSessionFor(
    site: schema.Site | null, origin: string | undefined, previousToken: string | undefined, identity?: VisitorIdentity,
  ): Promise<WidgetSessionResponse> {
    if (!site) throw new AppError('SITE_NOT_FOUND', 'No site has this key');
    if (!originAllowed(site, origin)) throw new AppError('ORIGIN_NOT_ALLOWED', 'This page\'s origin is not allowed for this site');
    let visitor: schema.Visitor | undefined;
    if (identity) {
      if (!identityVerified(site.identitySecret, identity)) {
        throw new AppError('AUTH_INVALID', 'The user hash is not this site\'s signature of the user id');
      }
      visitor = await this.identifiedVisitor(site, identity);
    } else {
      if (site.requireIdentity) throw new AppError('IDENTITY_REQUIRED', 'This site requires a verified identity (data-user-id and data-user-hash)');
      if (previousToken) visitor = await this.returningAnonymousVisitor(site, previousToken);
      if (!visitor) [visitor] = await this.db.insert(visitors).values({ siteId: site.id }).returning();
    }
    if (!visitor) throw new AppError('INTERNAL', 'Could not create visitor');
    const opening = openingState(site.businessHours);
    return {
      token: await this.tokens.signVisitor(visitor.id, site.id),
      visitorId: visitor.id,
      settings: site.widgetSettings,
      team: { online: await this.presence.teamOnline(site.accountId), open: opening.open, opensAt: opening.opensAt },
    };
  }

  /**
   * The visitor a previous token named, if it is still this site's and anonymous. An identified
   * visitor is not kept without an identity: on a shared computer, the next person to open the
   * page after a sign-out must not see the previous user's conversation.
   */
  private async returningAnonymousVisitor(site: schema.Site, previousToken: string): Promise<schema.Visitor | undefined> {
    const result = await this.tokens.verify(previousToken, 'visitor', { expiredGraceSeconds: VISITOR_RENEWAL_GRACE_SECONDS });
    if (!result.ok || result.claims.kind !== 'visitor' || result.claims.siteId !== site.id || !isUuid(result.claims.visitorId)) return undefined;
    const [visitor] = await this.db.update(visitors).set({ lastSeenAt: new Date() })
      .where(and(eq(visitors.id, result.claims.visitorId), isNull(visitors.externalId))).returning();
    return visitor;
  }

  /** The site's visitor for this user id, created on first sight; name and e-mail follow the site's. */
  private async identifiedVisitor(site: schema.Site, identity: VisitorIdentity): Promise<schema.Visitor | undefined> {
    const profile = {
      ...(identity.name ? { name: identity.name.trim() } : {}),
      ...(identity.email ? { email: identity.email.trim() } : {}),
    };
    const [before] = await this.db.select().from(visitors)
      .where(and(eq(visitors.siteId, site.id), eq(visitors.externalId, identity.userId)));
    // One statement either way, so two tabs starting at once still make one visitor (the unique index).
    const [visitor] = await this.db.insert(visitors)
      .values({ siteId: site.id, externalId: identity.userId, ...profile })
      .onConflictDoUpdate({
        target: [visitors.siteId, visitors.externalId],
        targetWhere: sql`external_id is not null`,
        set: { lastSeenAt: new Date(), ...profile },
      })
      .returning();
    if (visitor && before && (before.name !== visitor.name || before.email !== visitor.email)) {
      this.events?.emit('visitor.updated', {
        accountId: site.accountId,
        visitor: {
          id: visitor.id, siteId: visitor.siteId, name: visitor.name, email: visitor.email, attributes: visitor.attributes,
          createdAt: visitor.createdAt.toISOString(), lastSeenAt: visitor.lastSeenAt.toISOString(),
        },
      });
    }
    return visitor;
  }

  /** Same answer and about the same time whether the email or the password is wrong. */
  async login(email: string, password: string): Promise<LoginResponse> {
    const [agent] = await this.db.select().from(agents).where(eq(agents.email, email.trim().toLowerCase()));
    const valid = await verifyPassword(password, agent?.passwordHash ?? await decoyHash());
    // A deactivated agent gets the same answer as a wrong password: the login is simply gone.
    if (!agent || !valid || agent.deactivatedAt) throw new AppError('INVALID_CREDENTIALS', 'Wrong email or password');
    return {
      token: await this.tokens.signAgent(agent.id, agent.accountId),
      agent: toAgentView(agent, await this.presence.availability(agent.id)),
    };
  }

  /** A fresh token for an agent whose current one is still valid: the console renews before expiry. */
  async renewAgent(agent: schema.Agent): Promise<LoginResponse> {
    return {
      token: await this.tokens.signAgent(agent.id, agent.accountId),
      agent: toAgentView(agent, await this.presence.availability(agent.id)),
    };
  }

  /** Whether the agent can still sign in: for a connection that may have missed its deactivation. */
  async agentActive(agentId: string): Promise<boolean> {
    const [agent] = await this.db.select({ deactivatedAt: agents.deactivatedAt }).from(agents).where(eq(agents.id, agentId));
    return Boolean(agent && !agent.deactivatedAt);
  }

  /** Token → session, checking that its visitor or agent (and the visitor's site) still exist. */
  async authenticate(token: string, audience?: 'visitor' | 'agent'): Promise<AuthResult> {
    const result = await this.tokens.verify(token, audience);
    if (!result.ok) return { ok: false, code: result.reason === 'expired' ? 'TOKEN_EXPIRED' : 'AUTH_INVALID' };
    const claims = result.claims;
    if (claims.kind === 'agent') {
      if (!isUuid(claims.agentId)) return { ok: false, code: 'AUTH_INVALID' };
      const [agent] = await this.db.select().from(agents).where(eq(agents.id, claims.agentId));
      if (!agent || agent.accountId !== claims.accountId || !tokenStillValid(agent, claims.issuedAt)) {
        return { ok: false, code: 'AUTH_INVALID' };
      }
      return { ok: true, session: { kind: 'agent', agent } };
    }
    if (!isUuid(claims.visitorId) || !isUuid(claims.siteId)) return { ok: false, code: 'AUTH_INVALID' };
    const [row] = await this.db.select({ visitor: visitors, site: sites }).from(visitors)
      .innerJoin(sites, eq(sites.id, visitors.siteId))
      .where(eq(visitors.id, claims.visitorId));
    if (!row || row.site.id !== claims.siteId) return { ok: false, code: 'AUTH_INVALID' };
    // The site began requiring identities after this anonymous visitor's token was issued.
    if (row.site.requireIdentity && row.visitor.externalId === null) return { ok: false, code: 'AUTH_INVALID' };
    return { ok: true, session: { kind: 'visitor', visitor: row.visitor, site: row.site } };
  }
}
