// When a failed delivery is tried again: exponential backoff with full jitter (AWS Architecture
// Blog, "Exponential Backoff And Jitter"): a random delay between 0 and base·2^(n-1), capped, so
// that a receiver coming back up is not hit by every queued delivery at the same instant.

export interface Backoff { baseMs: number; capMs: number }

/**
 * The schedule scales with the retry window: 30 s doubling to 1 h for the default 24 h window,
 * and proportionally shorter for a shorter one (tests use windows of a second).
 */
export function backoffFor(retryForMs: number): Backoff {
  return { baseMs: retryForMs / 2880, capMs: retryForMs / 24 };
}

/** The upper bound of the delay after the `attempt`-th failed attempt (1-based). */
export function backoffCeilingMs(attempt: number, { baseMs, capMs }: Backoff): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 52));
}

export function retryDelayMs(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  return Math.round(random() * backoffCeilingMs(attempt, backoff));
}
