// Which agent routing picks (chooseAgent): a pure function of the online agents' loads and capacities.
import { describe, expect, it } from 'vitest';
import { chooseAgent, type Candidate } from '../../server/services/routing.ts';

const agent = (id: string, load: number, capacity: number | null = null): Candidate => ({ id, load, capacity });

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

  it('breaks ties between the least loaded at random, never choosing a busier agent', () => {
    const tied = [agent('a', 1), agent('b', 1), agent('busy', 4)];
    expect(chooseAgent(tied, () => 0)).toBe('a');
    expect(chooseAgent(tied, () => 0.99)).toBe('b');
    const picks = new Set(Array.from({ length: 200 }, () => chooseAgent(tied)));
    expect(picks).toEqual(new Set(['a', 'b']));
  });
});
