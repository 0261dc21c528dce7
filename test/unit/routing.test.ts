// Which agent routing picks (chooseAgent): a pure function of the online agents' loads, capacities and waits.
import { describe, expect, it } from 'vitest';
import { chooseAgent, type Candidate } from '../../server/services/routing.ts';

const agent = (id: string, load: number, capacity: number | null = null, lastRoutedAt: Date | null = null): Candidate =>
  ({ id, load, capacity, lastRoutedAt });

describe('routing choice', () => {
  it('picks the agent with the fewest unresolved conversations', () => {
    expect(chooseAgent([agent('busy', 5), agent('idle', 1), agent('mid', 3)])).toBe('idle');
  });

  it('never picks an agent at or over capacity, even when they are the least loaded', () => {
    expect(chooseAgent([agent('full', 2, 2), agent('over', 1, 0), agent('free', 7, 8)])).toBe('free');
    expect(chooseAgent([agent('full', 2, 2), agent('unlimited', 40)])).toBe('unlimited');
  });

  it('answers null when everyone is at capacity, or nobody is online', () => {
    expect(chooseAgent([agent('a', 3, 3), agent('b', 1, 1)])).toBeNull();
    expect(chooseAgent([])).toBeNull();
  });

  it('gives a tie to whoever has waited longest since routing last gave them one, never to a busier agent', () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 10, minute));
    expect(chooseAgent([agent('recent', 1, null, at(30)), agent('waited', 1, null, at(5)), agent('busy', 4, null, null)])).toBe('waited');
    // Never routed to counts as the longest wait.
    expect(chooseAgent([agent('recent', 1, null, at(30)), agent('never', 1, null, null)])).toBe('never');
    // The same answer on every node: equal waits go by id.
    expect(chooseAgent([agent('b', 0), agent('a', 0)])).toBe('a');
  });
});
