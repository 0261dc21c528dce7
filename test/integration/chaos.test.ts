// Issue #3, "Nothing lost, nothing doubled": visitors and agents chat while their connections are cut
// at random and a server process is killed with SIGKILL twice. Afterwards the database and every
// client's view must agree: each acknowledged message stored once at the seq it was acknowledged
// with, and each client shown every message of its conversations once, in seq order, no gaps.
//
// With PostgreSQL and Redis (the postgres+redis project) two nodes share them behind a round-robin
// proxy, and the kills take one node at a time: its clients move to the other. On PGlite, whose data
// one process owns, one node is killed and started again.
import { afterAll, describe, expect, it } from 'vitest';
import { castFromFixtures, drain, verdict, type Cast } from '../chaos/scenario.ts';
import { Cluster } from '../cluster/cluster.ts';
import { sleep, waitFor } from '../cluster/node-process.ts';
import { driver, useRedis } from '../helpers.ts';

const ORIGIN = 'http://chaos.test';

const ACCOUNTS = 3;
const AGENTS_PER_ACCOUNT = 2;
const VISITORS_PER_ACCOUNT = 2;
/** Sending lasts this long; a server is killed at about a third and two thirds of it. */
const RUN_MS = 30_000;
/** Per visitor tab: at most this many messages, spread over RUN_MS. */
const MESSAGES_PER_TAB = 320;
/** Now and then a visitor pastes several lines at once. */
const BURST = { chance: 0.05, size: 8 };
/** Each agent answers this share of the visitor messages it is shown. */
const REPLY_CHANCE = 0.15;
/** Every client's connection is cut this often; a share of the cuts abandon the socket instead. */
const CUTS = { min: 200, max: 500, abandonShare: 0.3 };
const RESTART_PAUSE_MS = { min: 300, max: 800 };
const DRAIN_TIMEOUT_MS = 45_000;

const between = ({ min, max }: { min: number; max: number }) => min + Math.random() * (max - min);

describe(`chaos: cut connections and killed servers (${driver}${useRedis ? '+redis, two nodes' : ', one node'})`, () => {
  const cluster = new Cluster();
  let cast: Cast | undefined;

  afterAll(async () => {
    cast?.stop();
    await cluster.stop();
  });

  it('stores every acknowledged message once and shows every client each message once, in order', async () => {
    const startedAt = Date.now();
    await cluster.start({
      names: useRedis ? ['A', 'B'] : ['A'],
      fixtures: { accounts: ACCOUNTS, agentsPerAccount: AGENTS_PER_ACCOUNT, origin: ORIGIN },
    });
    const { nodes, proxy } = cluster;
    const { httpUrl, wsUrl } = proxy;

    cast = await castFromFixtures(cluster.fixtures, { httpUrl, wsUrl, visitorsPerAccount: VISITORS_PER_ACCOUNT, replyChance: REPLY_CHANCE });
    const { participants } = cast;
    for (const { client } of participants) {
      client.start();
      client.startCutting(CUTS);
    }
    cast.startWriting({ runMs: RUN_MS, messagesPerTab: MESSAGES_PER_TAB, burst: BURST });

    // ---- two kill -9 mid-stream (one node, then the other), each followed by a restart ----
    const runStart = Date.now();
    const acknowledgedSoFar = () => participants.reduce((sum, { client }) => sum + client.acks.size, 0);
    const inFlight = () => participants.reduce((sum, { client }) => sum + client.inFlight, 0);
    const kills: { node: string; atMs: number; acksInSecondBefore: number; inFlightAtKill: number; downMs: number; restartMs: number }[] = [];
    for (const [index, fraction] of [1 / 3, 2 / 3].entries()) {
      const node = nodes[index % nodes.length]!;
      const killAt = runStart + RUN_MS * fraction + between({ min: -1000, max: 1000 });
      await sleep(Math.max(0, killAt - 1000 - Date.now()));
      const acknowledgedBefore = acknowledgedSoFar();
      await sleep(Math.max(0, killAt - Date.now()));
      // Kill while the servers are working on messages, so some are committed and never acknowledged.
      await waitFor(() => inFlight() >= 5, 1500, 2);
      const atMs = Date.now() - runStart;
      const acksInSecondBefore = acknowledgedSoFar() - acknowledgedBefore;
      const inFlightAtKill = inFlight();
      await node.stop('SIGKILL');
      const downAt = Date.now();
      await sleep(between(RESTART_PAUSE_MS));
      const restartAt = Date.now();
      await node.start();
      kills.push({ node: node.name, atMs, acksInSecondBefore, inFlightAtKill, downMs: Date.now() - downAt, restartMs: Date.now() - restartAt });
    }
    await sleep(Math.max(0, runStart + RUN_MS - Date.now()));

    // ---- drain: no new messages, no more cuts; wait for outboxes to empty and clients to catch up ----
    cast.stopWriting();
    const drained = await drain(cast, httpUrl, DRAIN_TIMEOUT_MS);
    for (const { client } of participants) client.stop();
    const shutdowns = await Promise.all(nodes.map((node) => node.stop('SIGTERM')));

    const result = await verdict(participants, { url: cluster.env.databaseUrl, dataDir: cluster.env.dataDir });
    const problems = [...result.problems, ...nodes.flatMap((node) => node.unexpectedExits)];
    const { totals } = result;
    const counts = {
      driver: useRedis ? 'postgres+redis' : driver,
      nodes: nodes.length,
      clients: participants.length,
      conversations: result.conversations,
      sent: result.sent,
      sendFrames: totals.sendFrames,
      acknowledged: result.acknowledged,
      repeatAcks: totals.repeatAcks,
      deduplicatedResends: totals.deduplicatedResends,
      stored: result.stored,
      delivered: result.delivered,
      duplicateDeliveriesDropped: totals.duplicateDeliveriesDropped,
      duplicates: result.duplicates,
      gaps: result.gaps,
      lost: result.lost,
      cuts: totals.cuts,
      abandons: totals.abandons,
      connects: totals.connects,
      readies: totals.readies,
      syncs: totals.syncs,
      gapRepairs: totals.gapRepairs,
      errors: result.errors,
      connectionsPerNode: cluster.connectionsPerNode(),
      kills,
      ...drained,
      shutdowns,
      seconds: Math.round((Date.now() - startedAt) / 100) / 10,
    };
    console.log(`chaos counts: ${JSON.stringify(counts, null, 2)}`);
    if (problems.length) {
      console.log(`chaos problems (first ${problems.length}):\n${problems.join('\n')}\n${nodes.map((node) => `--- ${node.name} log ---\n${node.log}`).join('\n')}`);
    }

    expect(counts.sent).toBeGreaterThanOrEqual(2000);
    expect(kills).toHaveLength(2);
    // Two nodes: both took connections, and both were killed once.
    for (const node of nodes) expect(counts.connectionsPerNode[node.name]).toBeGreaterThan(0);
    expect(new Set(kills.map((kill) => kill.node)).size).toBe(nodes.length);
    expect({ lost: result.lost, duplicates: result.duplicates, gaps: result.gaps }).toEqual({ lost: 0, duplicates: 0, gaps: 0 });
    expect(counts.stored).toBe(counts.sent);
    expect(problems).toEqual([]);
  }, 150_000);
});
