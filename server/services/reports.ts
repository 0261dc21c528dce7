// The summary an owner looks at weekly: how many conversations came in, how many were resolved, and
// how fast the team answered and resolved them, overall, per agent (the assignee) and per site.
// Times are medians and 90th percentiles (PostgreSQL's percentile_cont, interpolated), in seconds:
// an average would let one forgotten conversation hide how the typical visitor was served.
import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import { schema, type Db } from '../../db/index.ts';
import { AppError } from '../errors.ts';
import type { Caller } from './access.ts';
import { timeRange } from './exports.ts';
import { isUuid } from './ids.ts';

const { conversations, sites, agents } = schema;

export interface Percentiles { median: number | null; p90: number | null }

export interface SummaryStats {
  /** Created in the range. */
  conversations: number;
  /** Of those, resolved now. */
  resolved: number;
  /** From creation to the first agent or bot reply, for those that had one. */
  firstResponseSeconds: Percentiles;
  /** From creation to resolution, for those resolved. */
  resolutionSeconds: Percentiles;
}

export interface Summary {
  since: string;
  until: string;
  overall: SummaryStats;
  /** By assignee; agentId null for conversations nobody was assigned. */
  byAgent: (SummaryStats & { agentId: string | null; agentName: string | null })[];
  bySite: (SummaryStats & { siteId: string; siteName: string })[];
}

export interface SummaryQuery { since?: string | undefined; until?: string | undefined; siteId?: string | undefined; agentId?: string | undefined }

type EndColumn = typeof conversations.firstReplyAt | typeof conversations.resolvedAt;
const seconds = (end: EndColumn) => sql`extract(epoch from ${end} - ${conversations.createdAt})::float8`;
const percentile = (fraction: number, end: EndColumn) =>
  sql<number | null>`percentile_cont(${sql.raw(String(fraction))}) within group (order by ${seconds(end)})`;

// Nulls (no reply yet, not resolved) are left out by percentile_cont itself; resolved_at is cleared
// when a conversation reopens, so only conversations resolved now count.
const STATS = {
  conversations: sql<number>`count(*)::int`,
  resolved: sql<number>`(count(*) filter (where ${conversations.status} = 'resolved'))::int`,
  firstResponseMedian: percentile(0.5, conversations.firstReplyAt),
  firstResponseP90: percentile(0.9, conversations.firstReplyAt),
  resolutionMedian: percentile(0.5, conversations.resolvedAt),
  resolutionP90: percentile(0.9, conversations.resolvedAt),
};

type StatsRow = { [K in keyof typeof STATS]: (typeof STATS)[K]['_']['type'] };

function toStats(row: StatsRow | undefined): SummaryStats {
  return {
    conversations: row?.conversations ?? 0,
    resolved: row?.resolved ?? 0,
    firstResponseSeconds: { median: number(row?.firstResponseMedian), p90: number(row?.firstResponseP90) },
    resolutionSeconds: { median: number(row?.resolutionMedian), p90: number(row?.resolutionP90) },
  };
}

/** Drivers may hand float8 back as a string; null stays null. */
const number = (value: number | string | null | undefined) => (value === null || value === undefined ? null : Number(value));

export class Reports {
  constructor(private readonly db: Db) {}

  async summary(caller: Caller, query: SummaryQuery): Promise<Summary> {
    const range = timeRange(query);
    for (const [name, id] of [['siteId', query.siteId], ['agentId', query.agentId]] as const) {
      if (id !== undefined && !isUuid(id)) throw new AppError('VALIDATION_FAILED', `${name} must be a uuid`);
    }
    // Scoped by account first: a site or agent of another account matches nothing, like an unused one.
    const where = and(
      eq(sites.accountId, caller.accountId),
      gte(conversations.createdAt, range.since),
      lt(conversations.createdAt, range.until),
      query.siteId !== undefined ? eq(conversations.siteId, query.siteId) : undefined,
      query.agentId !== undefined ? eq(conversations.assigneeId, query.agentId) : undefined,
    );
    const [overall, byAgent, bySite] = await Promise.all([
      this.db.select(STATS).from(conversations).innerJoin(sites, eq(sites.id, conversations.siteId)).where(where),
      this.db.select({ ...STATS, agentId: conversations.assigneeId, agentName: agents.name }).from(conversations)
        .innerJoin(sites, eq(sites.id, conversations.siteId))
        .leftJoin(agents, eq(agents.id, conversations.assigneeId))
        .where(where)
        .groupBy(conversations.assigneeId, agents.name)
        .orderBy(asc(agents.name)),
      this.db.select({ ...STATS, siteId: sites.id, siteName: sites.name }).from(conversations)
        .innerJoin(sites, eq(sites.id, conversations.siteId))
        .where(where)
        .groupBy(sites.id, sites.name)
        .orderBy(asc(sites.name)),
    ]);
    return {
      since: range.since.toISOString(),
      until: range.until.toISOString(),
      overall: toStats(overall[0]),
      byAgent: byAgent.map((row) => ({ agentId: row.agentId, agentName: row.agentName, ...toStats(row) })),
      bySite: bySite.map((row) => ({ siteId: row.siteId, siteName: row.siteName, ...toStats(row) })),
    };
  }
}
