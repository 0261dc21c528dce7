// Inviting teammates. The link carries a random token; only its SHA-256 is stored (256 random bits:
// nothing to brute-force, so a fast hash is enough), it works once, and only until it expires.
// Accepting creates the agent with the invitation's account, name and role, and signs them in.
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import { pgErrorKind } from '../../db/errors.ts';
import type { AgentRole, LoginResponse } from '../../protocol/index.ts';
import { AppError, notFound } from '../errors.ts';
import type { Caller } from './access.ts';
import type { Identity } from './identity.ts';
import type { Mailer } from './mailer.ts';
import { hashPassword } from './passwords.ts';
import { isUuid } from './ids.ts';

const { invitations, agents } = schema;

export interface InvitationView {
  id: string;
  email: string;
  name: string;
  role: AgentRole;
  /** The agent who invited; null for an API token or an agent since removed. */
  invitedBy: string | null;
  expiresAt: string;
  createdAt: string;
}

export interface SentInvitation {
  invitation: InvitationView;
  /** The link to pass on by hand when the e-mail did not go out. */
  inviteUrl: string;
  emailed: boolean;
}

export interface InvitationOptions {
  /** Where browsers reach the console (config.publicUrl). */
  publicUrl: string;
  ttlMs: number;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** The console's accept screen; the token rides in the fragment, which browsers never send to a server or in a Referer. */
export function inviteUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/console/#/accept?token=${encodeURIComponent(token)}`;
}

function toView(row: schema.Invitation): InvitationView {
  return {
    id: row.id, email: row.email, name: row.name, role: row.role, invitedBy: row.invitedBy,
    expiresAt: row.expiresAt.toISOString(), createdAt: row.createdAt.toISOString(),
  };
}

export class Invitations {
  constructor(
    private readonly db: Db,
    private readonly identity: Identity,
    private readonly mailer: Mailer,
    private readonly options: InvitationOptions,
  ) {}

  /**
   * A new invitation, e-mailed when a mailer is configured. Inviting the same address again replaces
   * its pending invitation (a lost e-mail is resent by inviting again); an address that already has
   * a login anywhere is a CONFLICT, since one e-mail is one login.
   */
  async invite(caller: Caller, input: { email: string; name: string; role: AgentRole }): Promise<SentInvitation> {
    // Only an owner makes an owner: an admin could otherwise hand the account to anyone.
    if (input.role === 'owner' && caller.role !== 'owner') throw new AppError('FORBIDDEN', 'Only an owner can invite an owner');
    const email = input.email.trim().toLowerCase();
    const [existing] = await this.db.select({ id: agents.id }).from(agents).where(eq(agents.email, email));
    if (existing) throw new AppError('CONFLICT', 'This e-mail address already has a login');
    const token = randomBytes(32).toString('base64url');
    const row = await this.db.transaction(async (tx) => {
      await tx.delete(invitations).where(and(
        eq(invitations.accountId, caller.accountId), eq(invitations.email, email), isNull(invitations.acceptedAt)));
      const [inserted] = await tx.insert(invitations).values({
        accountId: caller.accountId, email, name: input.name.trim(), role: input.role, tokenHash: hashOf(token),
        invitedBy: caller.agentId, expiresAt: new Date(Date.now() + this.options.ttlMs),
      }).returning();
      return inserted!;
    });
    const url = inviteUrl(this.options.publicUrl, token);
    const emailed = await this.mailer.send(await this.invitationMail(row, caller, url));
    return { invitation: toView(row), inviteUrl: url, emailed };
  }

  /** Pending invitations (not accepted, not expired), newest first. */
  async list(caller: Caller): Promise<InvitationView[]> {
    const rows = await this.db.select().from(invitations)
      .where(and(eq(invitations.accountId, caller.accountId), isNull(invitations.acceptedAt), gt(invitations.expiresAt, new Date())))
      .orderBy(desc(invitations.createdAt));
    return rows.map(toView);
  }

  /** Revoked by deleting it: its link then answers like any unknown one. */
  async revoke(caller: Caller, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('Invitation not found');
    const deleted = await this.db.delete(invitations)
      .where(and(eq(invitations.id, id), eq(invitations.accountId, caller.accountId), isNull(invitations.acceptedAt)))
      .returning({ id: invitations.id });
    if (deleted.length === 0) throw notFound('Invitation not found');
  }

  /**
   * The invitee sets a password: the agent is created and signed in. Unknown, revoked, used and
   * expired links get the same INVITATION_EXPIRED, so a link tells nothing about others.
   */
  async accept(input: { token: string; password: string; name?: string | undefined }): Promise<LoginResponse> {
    const usable = () => and(eq(invitations.tokenHash, hashOf(input.token)), isNull(invitations.acceptedAt), gt(invitations.expiresAt, new Date()));
    // A bad link is answered before the costly hashing, which a public route must not give away for free.
    const [found] = await this.db.select({ id: invitations.id }).from(invitations).where(usable());
    if (!found) throw new AppError('INVITATION_EXPIRED');
    const passwordHash = await hashPassword(input.password);
    const agent = await this.db.transaction(async (tx) => {
      // Claimed and used in one transaction: of two clicks at once, one wins and the other finds it used.
      const [invitation] = await tx.update(invitations).set({ acceptedAt: new Date() }).where(usable()).returning();
      if (!invitation) throw new AppError('INVITATION_EXPIRED');
      try {
        const [created] = await tx.insert(agents).values({
          accountId: invitation.accountId, email: invitation.email, name: input.name?.trim() || invitation.name,
          passwordHash, role: invitation.role,
        }).returning();
        return created!;
      } catch (error) {
        // The address got a login meanwhile (another account's invitation, or an admin's script).
        if (pgErrorKind(error) === 'unique_violation') throw new AppError('CONFLICT', 'This e-mail address already has a login');
        throw error;
      }
    });
    return this.identity.renewAgent(agent);
  }

  private async invitationMail(invitation: schema.Invitation, caller: Caller, url: string) {
    const [account] = await this.db.select({ name: schema.accounts.name }).from(schema.accounts)
      .where(eq(schema.accounts.id, caller.accountId));
    const team = account?.name ?? 'Parley';
    const hours = Math.round(this.options.ttlMs / 3_600_000);
    return {
      to: invitation.email,
      subject: `${caller.name} invited you to ${team} on Parley`,
      text: [
        `Hello ${invitation.name},`,
        '',
        `${caller.name} invited you to answer ${team}'s visitors on Parley. Choose a password here:`,
        '',
        url,
        '',
        `The link works once and expires in ${hours} hours.`,
      ].join('\n'),
    };
  }
}
