// Issue #3, "Nothing lost, nothing doubled": visitors and agents chat while their connections are cut
// at random and the server process is killed with SIGKILL twice. Afterwards the database and every
// client's view must agree: each acknowledged message stored once at the seq it was acknowledged
// with, and each client shown every message of its conversations once, in seq order, no gaps.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { openDb, schema } from '../../db/index.ts';
import type { ConversationListResponse, ConversationView, MessageView } from '../../protocol/index.ts';
import { ChaosClient } from '../chaos/client.ts';
import { CHAOS_PASSWORD } from '../chaos/server-child.ts';
import { NodeProcess, clusterEnv, freePort, sleep, waitFor, type ClusterEnv } from '../cluster/node-process.ts';
import { driver, post, useRedis } from '../helpers.ts';

const ORIGIN = 'http://chaos.test';

const ACCOUNTS = 3;
const AGENTS_PER_ACCOUNT = 2;
const VISITORS_PER_ACCOUNT = 2;
/** Sending lasts this long; the server is killed at about a third and two thirds of it. */
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

interface Participant {
  client: ChaosClient;
  accountId: string;
  /** Visitor tabs: whose conversation they show. */
  visitorId?: string;
}

describe(`chaos: cut connections and a killed server (${driver})`, () => {
  let scratch: string | undefined;
  let cluster: ClusterEnv | undefined;
  let server: NodeProcess | undefined;
  const participants: Participant[] = [];
  const stopProducing: (() => void)[] = [];

  afterAll(async () => {
    for (const stop of stopProducing) stop();
    for (const { client } of participants) client.stop();
    await server?.stop('SIGKILL');
    await cluster?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('stores every acknowledged message once and shows every client each message once, in order', async () => {
    const startedAt = Date.now();
    scratch = mkdtempSync(join(tmpdir(), 'parley-chaos-'));
    cluster = await clusterEnv({ scratch, fixtures: { accounts: ACCOUNTS, agentsPerAccount: AGENTS_PER_ACCOUNT, origin: ORIGIN } });
    server = new NodeProcess(cluster.nodeEnv(await freePort()));
    const { httpUrl, wsUrl } = server;
    await server.start();
    const fixtures = cluster.fixtures();

    // ---- the cast: per account two agents and two visitors, the first visitor with a second tab ----
    let producing = true;
    const agentTokens = new Map<string, string>();
    for (const account of fixtures.accounts) {
      for (const email of account.agentEmails) {
        const login = await post<{ token: string }>(`${httpUrl}/api/v1/auth/login`, { email, password: CHAOS_PASSWORD });
        expect(login.status).toBe(200);
        agentTokens.set(account.accountId, login.body.token);
        const agent = new ChaosClient({
          name: email, role: 'agent', wsUrl, httpUrl, token: login.body.token,
          onDeliver: (message, self) => {
            if (producing && message.authorKind === 'visitor' && Math.random() < REPLY_CHANCE) {
              self.send(`${self.name} answers seq ${message.seq}`, message.conversationId);
            }
          },
        });
        participants.push({ client: agent, accountId: account.accountId });
      }
      for (let v = 0; v < VISITORS_PER_ACCOUNT; v++) {
        const session = await post<{ token: string; visitorId: string }>(`${httpUrl}/api/widget/session`,
          { siteKey: account.siteKey }, { origin: fixtures.origin });
        expect(session.status).toBe(200);
        const tabs = account === fixtures.accounts[0] && v === 0 ? 2 : 1;
        for (let tab = 0; tab < tabs; tab++) {
          const visitor = new ChaosClient({
            name: `visitor ${session.body.visitorId.slice(0, 8)} tab ${tab}`, role: 'visitor', wsUrl, httpUrl,
            token: session.body.token, origin: fixtures.origin,
          });
          participants.push({ client: visitor, accountId: account.accountId, visitorId: session.body.visitorId });
        }
      }
    }

    for (const { client } of participants) {
      client.start();
      client.startCutting(CUTS);
    }
    // Visitors write at a steady pace whether or not they are connected: the outbox holds the rest.
    // The pace follows the clock, not the ticks, so a busy machine's late timers do not shrink the run.
    const writingStart = Date.now();
    for (const { client } of participants.filter((p) => p.client.role === 'visitor')) {
      let written = 0;
      let timer: NodeJS.Timeout | undefined;
      const meanGapMs = RUN_MS / MESSAGES_PER_TAB;
      const writeNext = () => {
        const due = Math.ceil(MESSAGES_PER_TAB * (Date.now() - writingStart) / (RUN_MS * 0.9));
        // A burst runs ahead of the schedule; the ticks after it write nothing until it catches up.
        const lines = Math.max(due - written, Math.random() < BURST.chance ? BURST.size : 0);
        for (let line = 0; line < lines && producing && written < MESSAGES_PER_TAB; line++) {
          written += 1;
          client.send(`${client.name} says #${written}`);
        }
        if (!producing || written >= MESSAGES_PER_TAB) return;
        timer = setTimeout(writeNext, between({ min: meanGapMs * 0.5, max: meanGapMs * 1.5 }));
      };
      timer = setTimeout(writeNext, between({ min: 0, max: meanGapMs }));
      stopProducing.push(() => clearTimeout(timer));
    }

    // ---- two kill -9 mid-stream, each followed by a restart on the same port and data ----
    const runStart = Date.now();
    const acknowledgedSoFar = () => participants.reduce((sum, { client }) => sum + client.acks.size, 0);
    const inFlight = () => participants.reduce((sum, { client }) => sum + client.inFlight, 0);
    const kills: { atMs: number; acksInSecondBefore: number; inFlightAtKill: number; downMs: number; restartMs: number }[] = [];
    for (const fraction of [1 / 3, 2 / 3]) {
      const killAt = runStart + RUN_MS * fraction + between({ min: -1000, max: 1000 });
      await sleep(Math.max(0, killAt - 1000 - Date.now()));
      const acknowledgedBefore = acknowledgedSoFar();
      await sleep(Math.max(0, killAt - Date.now()));
      // Kill while the server is working on messages, so some are committed and never acknowledged.
      await waitFor(() => inFlight() >= 5, 1500, 2);
      const atMs = Date.now() - runStart;
      const acksInSecondBefore = acknowledgedSoFar() - acknowledgedBefore;
      const inFlightAtKill = inFlight();
      await server.stop('SIGKILL');
      const downAt = Date.now();
      await sleep(between(RESTART_PAUSE_MS));
      const restartAt = Date.now();
      await server.start();
      kills.push({ atMs, acksInSecondBefore, inFlightAtKill, downMs: Date.now() - downAt, restartMs: Date.now() - restartAt });
    }
    await sleep(Math.max(0, runStart + RUN_MS - Date.now()));

    // ---- drain: no new messages, no more cuts; wait for outboxes to empty and clients to catch up ----
    producing = false;
    for (const stop of stopProducing) stop();
    for (const { client } of participants) client.stopCutting();
    const drainStart = Date.now();
    const outboxesEmpty = await waitFor(() => participants.every(({ client }) => client.ready && client.unacknowledged === 0),
      DRAIN_TIMEOUT_MS);

    // Every message is committed now; the server's view of each conversation is the target.
    const conversationsByAccount = new Map<string, ConversationView[]>();
    for (const [accountId, token] of agentTokens) {
      const response = await fetch(`${httpUrl}/api/v1/conversations?view=all`, { headers: { authorization: `Bearer ${token}` } });
      conversationsByAccount.set(accountId, (await response.json() as ConversationListResponse).conversations);
    }
    const expectedOf = (participant: Participant): ConversationView[] =>
      (conversationsByAccount.get(participant.accountId) ?? [])
        .filter((conversation) => !participant.visitorId || conversation.visitorId === participant.visitorId);
    const caughtUp = await waitFor(() => participants.every((participant) =>
      expectedOf(participant).every((conversation) =>
        participant.client.conversations.get(conversation.id)?.contiguousSeq === conversation.lastSeq)),
    DRAIN_TIMEOUT_MS - (Date.now() - drainStart));
    const drainMs = Date.now() - drainStart;

    for (const { client } of participants) client.stop();
    const shutdown = await server.stop('SIGTERM');

    // ---- the database's account of what happened ----
    const verifier = await openDb(cluster.databaseUrl ? { url: cluster.databaseUrl } : { dataDir: cluster.dataDir });
    const stored = await verifier.db.select({
      id: schema.messages.id, conversationId: schema.messages.conversationId, seq: schema.messages.seq,
      clientId: schema.messages.clientId, body: schema.messages.body,
    }).from(schema.messages);
    const storedConversations = await verifier.db.select({
      id: schema.conversations.id, lastSeq: schema.conversations.lastSeq,
      visitorId: schema.conversations.visitorId, accountId: schema.sites.accountId,
    }).from(schema.conversations).innerJoin(schema.sites, eq(schema.sites.id, schema.conversations.siteId));
    await verifier.close();

    const problems: string[] = [];
    const problem = (text: string) => { if (problems.length < 50) problems.push(text); };
    let lost = 0;
    let storedTwice = 0;
    let shownTwice = 0;
    let storeGaps = 0;
    let viewGaps = 0;

    const byClientId = new Map<string, (typeof stored)[number]>();
    const bySeq = new Map<string, (typeof stored)[number]>();
    for (const row of stored) {
      if (byClientId.has(row.clientId)) {
        storedTwice += 1;
        problem(`clientId ${row.clientId} stored twice (seq ${byClientId.get(row.clientId)!.seq} and ${row.seq})`);
      }
      byClientId.set(row.clientId, row);
      const key = `${row.conversationId}:${row.seq}`;
      if (bySeq.has(key)) problem(`seq ${key} stored twice`);
      bySeq.set(key, row);
    }
    const lastSeqOf = new Map(storedConversations.map((c) => [c.id, c.lastSeq]));
    for (const { id, lastSeq } of storedConversations) {
      for (let seq = 1; seq <= lastSeq; seq++) {
        if (!bySeq.has(`${id}:${seq}`)) {
          storeGaps += 1;
          problem(`conversation ${id} has no message at seq ${seq} (last_seq ${lastSeq})`);
        }
      }
    }
    for (const row of stored) {
      if (row.seq > (lastSeqOf.get(row.conversationId) ?? 0)) problem(`message at seq ${row.seq} beyond last_seq of ${row.conversationId}`);
    }

    // Every acknowledged message is stored, where the acknowledgement said; nothing stored came from nowhere.
    const sentAnywhere = new Set<string>();
    for (const { client } of participants) {
      for (const [clientId, sent] of client.sent) {
        sentAnywhere.add(clientId);
        const ack = client.acks.get(clientId);
        const row = byClientId.get(clientId);
        if (!ack) {
          problem(`${client.name}: message ${clientId} never acknowledged${row ? ' (but stored)' : ''}`);
          if (!row) lost += 1;
          continue;
        }
        if (!row) {
          lost += 1;
          problem(`${client.name}: message ${clientId} acknowledged at seq ${ack.seq} but not stored`);
        } else if (row.conversationId !== ack.conversationId || row.seq !== ack.seq) {
          lost += 1;
          problem(`${client.name}: message ${clientId} acknowledged at ${ack.conversationId}:${ack.seq}, stored at ${row.conversationId}:${row.seq}`);
        } else if (row.body !== sent.body) {
          problem(`${client.name}: message ${clientId} stored with another body`);
        }
      }
    }
    for (const row of stored) if (!sentAnywhere.has(row.clientId)) problem(`stored message ${row.clientId} was sent by nobody`);

    // Every client was shown exactly the stored sequence of each of its conversations.
    for (const participant of participants) {
      const { client } = participant;
      const expected = new Set(storedConversations
        .filter((c) => c.accountId === participant.accountId && (!participant.visitorId || c.visitorId === participant.visitorId))
        .map((c) => c.id));
      for (const id of client.conversations.keys()) {
        if (!expected.has(id)) problem(`${client.name} holds conversation ${id}, which is not its own`);
      }
      for (const id of expected) {
        const lastSeq = lastSeqOf.get(id) ?? 0;
        const delivered: MessageView[] = client.conversations.get(id)?.delivered ?? [];
        const shown = new Set<string>();
        delivered.forEach((message, index) => {
          if (message.seq !== index + 1) problem(`${client.name}: ${id} shows seq ${message.seq} at position ${index + 1}`);
          if (shown.has(message.clientId)) {
            shownTwice += 1;
            problem(`${client.name}: ${id} shows message ${message.clientId} twice`);
          }
          shown.add(message.clientId);
          const row = bySeq.get(`${id}:${message.seq}`);
          if (row && row.clientId !== message.clientId) problem(`${client.name}: ${id} seq ${message.seq} shows ${message.clientId}, stored ${row.clientId}`);
        });
        if (delivered.length < lastSeq) {
          viewGaps += lastSeq - delivered.length;
          problem(`${client.name}: ${id} shows ${delivered.length} of ${lastSeq} messages`);
        }
        if (delivered.length > lastSeq) problem(`${client.name}: ${id} shows ${delivered.length} messages, only ${lastSeq} stored`);
      }
      for (const reason of client.stats.fatalCloses) problem(`${client.name} was told not to reconnect: ${reason}`);
      if (client.stats.conflictingAcks) problem(`${client.name}: ${client.stats.conflictingAcks} messages acknowledged at two positions`);
      if (client.stats.errors.INTERNAL) problem(`${client.name}: ${client.stats.errors.INTERNAL} INTERNAL errors`);
      if (client.stats.conflictingDeliveries) problem(`${client.name}: ${client.stats.conflictingDeliveries} seqs delivered with two different messages`);
    }
    for (const exit of server.unexpectedExits) problem(exit);

    const total = <K extends keyof ChaosClient['stats']>(key: K) =>
      participants.reduce((sum, { client }) => sum + (client.stats[key] as number), 0);
    const errors: Record<string, number> = {};
    for (const { client } of participants) {
      for (const [code, count] of Object.entries(client.stats.errors)) errors[code] = (errors[code] ?? 0) + count;
    }
    const counts = {
      driver: driver === 'postgres' && useRedis ? 'postgres+redis' : driver,
      clients: participants.length,
      conversations: storedConversations.length,
      sent: total('sent'),
      sendFrames: total('sendFrames'),
      acknowledged: participants.reduce((sum, { client }) => sum + client.acks.size, 0),
      repeatAcks: total('repeatAcks'),
      deduplicatedResends: total('deduplicatedResends'),
      stored: stored.length,
      delivered: participants.reduce((sum, { client }) =>
        sum + [...client.conversations.values()].reduce((n, log) => n + log.delivered.length, 0), 0),
      duplicateDeliveriesDropped: total('duplicateDeliveriesDropped'),
      duplicates: storedTwice + shownTwice,
      gaps: storeGaps + viewGaps,
      lost,
      cuts: total('cuts'),
      abandons: total('abandons'),
      connects: total('connects'),
      readies: total('readies'),
      syncs: total('syncs'),
      gapRepairs: total('gapRepairs'),
      errors,
      kills,
      outboxesEmpty,
      caughtUp,
      drainMs,
      shutdown,
      seconds: Math.round((Date.now() - startedAt) / 100) / 10,
    };
    console.log(`chaos counts: ${JSON.stringify(counts, null, 2)}`);
    if (problems.length) console.log(`chaos problems (first ${problems.length}):\n${problems.join('\n')}\n--- server log ---\n${server.log}`);

    expect(counts.sent).toBeGreaterThanOrEqual(2000);
    expect(kills).toHaveLength(2);
    expect({ lost, duplicates: counts.duplicates, gaps: counts.gaps }).toEqual({ lost: 0, duplicates: 0, gaps: 0 });
    expect(counts.stored).toBe(counts.sent);
    expect(problems).toEqual([]);
  }, 120_000);
});
