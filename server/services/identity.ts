// Who is talking: visitor sessions for a site (with the Origin check), agent logins, and turning a
// token back into a principal. Returns error codes rather than throwing on bad credentials.
import { eq } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import type { LoginResponse, WidgetSessionResponse } from '../../protocol/index.ts';
import { AppError } from '../errors.ts';
import { VISITOR_RENEWAL_GRACE_SECONDS, type Tokens } from './tokens.ts';
import type { Presence } from './presence.ts';
import { decoyHash, verifyPassword } from './passwords.ts';
import { toAgentView } from './views.ts';
import { isUuid } from './ids.ts';

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

/** Origins are compared as browsers send them: scheme://host[:port], lower-case, no trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

export function originAllowed(site: schema.Site, origin: string | undefined): boolean {
  if (!origin) return false;
  const wanted = normalizeOrigin(origin);
  return site.allowedOrigins.some((allowed) => normalizeOrigin(allowed) === wanted);
}

/** A deactivated agent's tokens stop at once; a password change refuses the tokens issued before it. */
export function tokenStillValid(agent: schema.Agent, issuedAtSeconds: number): boolean {
  if (agent.deactivatedAt) return false;
  // JWT times are whole seconds: the token handed out with the change, in the same second, must work.
  return !agent.tokensValidAfter || issuedAtSeconds >= Math.floor(agent.tokensValidAfter.getTime() / 1000);
}

export class Identity {
  constructor(private readonly db: Db, private readonly tokens: Tokens, private readonly presence: Presence) {}

  async siteByKey(publicKey: string): Promise<schema.Site | null> {
    const [site] = await this.db.select().from(sites).where(eq(sites.publicKey, publicKey));
    return site ?? null;
  }

  /**
   * A widget starting up. A still-valid token of the same site keeps its visitor (and history) and
   * is renewed; anything else starts a new visitor.
   */
  async visitorSession(siteKey: string, origin: string | undefined, previousToken: string | undefined): Promise<WidgetSessionResponse> {
    return this.visitorSessionFor(await this.siteByKey(siteKey), origin, previousToken);
  }

  /** The same, for a site already looked up by its key (null: no site has it). */
  async visitorSessionFor(site: schema.Site | null, origin: string | undefined, previousToken: string | undefined): Promise<WidgetSessionResponse> {
    if (!site) throw new AppError('SITE_NOT_FOUND', 'No site has this key');
    if (!originAllowed(site, origin)) throw new AppError('ORIGIN_NOT_ALLOWED', 'This page\'s origin is not allowed for this site');
    let visitor: schema.Visitor | undefined;
    if (previousToken) {
      const result = await this.tokens.verify(previousToken, 'visitor', { expiredGraceSeconds: VISITOR_RENEWAL_GRACE_SECONDS });
      if (result.ok && result.claims.kind === 'visitor' && result.claims.siteId === site.id) {
        [visitor] = await this.db.update(visitors).set({ lastSeenAt: new Date() })
          .where(eq(visitors.id, result.claims.visitorId)).returning();
      }
    }
    if (!visitor) [visitor] = await this.db.insert(visitors).values({ siteId: site.id }).returning();
    if (!visitor) throw new AppError('INTERNAL', 'Could not create visitor');
    return {
      token: await this.tokens.signVisitor(visitor.id, site.id),
      visitorId: visitor.id,
      settings: site.widgetSettings,
      team: { online: await this.presence.teamOnline(site.accountId) },
    };
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
    return { ok: true, session: { kind: 'visitor', visitor: row.visitor, site: row.site } };
  }
}
