import { describe, expect, it } from 'vitest';
import { Presence } from '../../server/services/presence.ts';

describe('presence', () => {
  it('is online while a connection is open and offline when the last one closes', () => {
    const presence = new Presence();
    expect(presence.connect('a1', 'acc')).toEqual({ agentId: 'a1', accountId: 'acc', availability: 'online', teamOnline: true });
    expect(presence.connect('a1', 'acc')).toBeNull();
    expect(presence.disconnect('a1')).toBeNull();
    expect(presence.availability('a1')).toBe('online');
    expect(presence.disconnect('a1')).toEqual({ agentId: 'a1', accountId: 'acc', availability: 'offline', teamOnline: false });
    expect(presence.disconnect('a1')).toBeNull();
  });

  it('keeps an away choice across reconnects and counts only online agents as the team', () => {
    const presence = new Presence();
    presence.connect('a1', 'acc');
    presence.connect('a2', 'acc');
    expect(presence.choose('a1', 'away')).toEqual({ agentId: 'a1', accountId: 'acc', availability: 'away' });
    expect(presence.onlineAgents('acc')).toEqual(['a2']);
    expect(presence.choose('a2', 'away')?.teamOnline).toBe(false);
    presence.disconnect('a1');
    expect(presence.connect('a1', 'acc')?.availability).toBe('away');
    expect(presence.teamOnline('acc')).toBe(false);
    expect(presence.teamOnline('other')).toBe(false);
  });
});
