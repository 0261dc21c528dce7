// Who may change whom in a team, and where an invitation link leads: pure rules, checked alone.
import { describe, expect, it } from 'vitest';
import type { AgentRole } from '../../protocol/index.ts';
import { memberChangeRefusal } from '../../server/services/team.ts';
import { inviteUrl } from '../../server/services/invitations.ts';

const ROLES: AgentRole[] = ['agent', 'admin', 'owner'];

describe('memberChangeRefusal', () => {
  it('lets an owner make any change to anyone', () => {
    for (const target of ROLES) {
      for (const newRole of [...ROLES, undefined]) expect(memberChangeRefusal('owner', target, newRole)).toBeNull();
    }
  });

  it('lets an admin change agents and admins, short of making an owner', () => {
    for (const target of ['agent', 'admin'] as const) {
      expect(memberChangeRefusal('admin', target, undefined)).toBeNull();
      expect(memberChangeRefusal('admin', target, 'agent')).toBeNull();
      expect(memberChangeRefusal('admin', target, 'admin')).toBeNull();
      expect(memberChangeRefusal('admin', target, 'owner')).toMatch(/only an owner can make an owner/i);
    }
  });

  it('keeps owners out of an admin\'s reach, even for a rename', () => {
    expect(memberChangeRefusal('admin', 'owner', undefined)).toMatch(/only an owner can change an owner/i);
    expect(memberChangeRefusal('admin', 'owner', 'owner')).not.toBeNull();
  });

  it('refuses agents everything', () => {
    for (const target of ROLES) expect(memberChangeRefusal('agent', target, undefined)).not.toBeNull();
  });
});

describe('inviteUrl', () => {
  it('puts the token in the console\'s fragment, which browsers never send to a server', () => {
    const url = new URL(inviteUrl('https://chat.example.com', 'abc-_123'));
    expect(url.pathname).toBe('/console/');
    expect(url.search).toBe('');
    expect(url.hash).toBe('#/accept?token=abc-_123');
  });
});
