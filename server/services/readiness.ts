// What /readyz asks: can this node serve right now? Each dependency is probed with a short timeout,
// all at once, so a load balancer's probe (Kubernetes waits 1 s by default) gets an answer in time
// even when a dependency hangs rather than refuses.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';

/** Resolves when the dependency answers. */
export type Probe = () => Promise<unknown>;

/** Only words: an error's text can carry hosts, users or stacks, and this answer is public. */
export type CheckResult = 'ok' | 'not used' | 'failed' | 'timed out';

export interface Readiness {
  ok: boolean;
  checks: Record<string, CheckResult>;
}

export const CHECK_TIMEOUT_MS = 800;

/** A trivial query: the pool (or PGlite) can run a statement. */
export function databaseProbe(db: Db): Probe {
  return () => db.execute(sql`select 1`);
}

/**
 * Runs every probe (null: the dependency is not used by this configuration). `onFailure` hears the
 * real error, for the log; the result only names the check.
 */
export async function checkReadiness(
  probes: Record<string, Probe | null>,
  onFailure: (check: string, error: unknown) => void,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<Readiness> {
  const entries = await Promise.all(Object.entries(probes).map(async ([name, probe]): Promise<[string, CheckResult]> => {
    if (!probe) return [name, 'not used'];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timed out'>((resolve) => { timer = setTimeout(() => resolve('timed out'), timeoutMs); });
    try {
      const result = await Promise.race([probe().then(() => 'ok' as const), timeout]);
      if (result === 'timed out') onFailure(name, new Error(`no answer in ${timeoutMs} ms`));
      return [name, result];
    } catch (error) {
      onFailure(name, error);
      return [name, 'failed'];
    } finally {
      clearTimeout(timer);
    }
  }));
  const checks = Object.fromEntries(entries);
  return { ok: entries.every(([, result]) => result === 'ok' || result === 'not used'), checks };
}
