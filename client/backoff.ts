// How long a client waits before trying again.

export interface Backoff {
  /** The ceiling of the first wait… */
  firstMs: number;
  /** …doubling with every attempt, up to this. */
  capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 500, capMs: 30_000 };

/**
 * Exponential backoff with "equal jitter": between half the ceiling and the ceiling, so a server
 * restart is not met by every client at the same instant, and no client retries in a tight loop.
 */
export function backoffDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.firstMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * The wait after a close that all of a node's clients hear at once (GOING_AWAY): anywhere in the
 * window, uniformly ("full jitter"), so their reconnects spread over the whole of it.
 */
export function spreadDelay(spreadMs: number, random: () => number = Math.random): number {
  return random() * spreadMs;
}
