// Two Parley processes on different ports sharing one PostgreSQL and one Redis, as behind a load
// balancer: a visitor on node A and an agent on node B talk both ways with typing and presence;
// node A is killed and the visitor resumes on node B with nothing lost, while the agents node A held
// go offline within the presence TTL; then 50 visitors start conversations at once on both nodes
// and each is assigned exactly once, never past an agent's capacity; Redis is cut off (the test's
// own proxy stands between the nodes and Redis) while messages flow, and every message reaches
// every client after it returns.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { LoginResponse, ServerFrame } from '../../protocol/index.ts';
import { CHAOS_PASSWORD, type ChaosFixtures } from '../chaos/server-child.ts';
import { NodeProcess, clusterEnv, freePort, type ClusterEnv } from '../cluster/node-process.ts';
import { TestClient, post, useRedis } from '../helpers.ts';
import { TcpProxy, hostPortOf } from '../tcp-proxy.ts';
import { Follower, exchangeThroughOutage } from '../cluster/follower.ts';

const ORIGIN = 'http://cluster.test';
const PRESENCE_TTL_MS = 1_500;
const CAPACITIES = [10, 15, 20];
const VISITORS = 50;
const BUS_PROBE_MS = 250;
const OUTAGE_MS = 2_000;

if (!useRedis) console.log('cluster: skipped here, two nodes need PostgreSQL and Redis: the postgres+redis project runs it');

describe.runIf(useRedis)('two nodes behind a load balancer', () => {
  let scratch: string;
  let cluster: ClusterEnv;
  let a: NodeProcess;
  let b: NodeProcess;
  let fixtures: ChaosFixtures['accounts'][number];
  let redisProxy: TcpProxy;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
    cluster = await clusterEnv({ scratch, fixtures: { accounts: 1, agentsPerAccount: 1 + CAPACITIES.length, origin: ORIGIN } });
    redisProxy = await TcpProxy.start(hostPortOf(process.env.REDIS_URL!));
    const extra = {
      PRESENCE_TTL_MS: String(PRESENCE_TTL_MS), BUS_PROBE_MS: String(BUS_PROBE_MS),
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
    };
    a = new NodeProcess(cluster.nodeEnv(await freePort(), extra), 'A');
    b = new NodeProcess(cluster.nodeEnv(await freePort(), extra), 'B');
    await Promise.all([a.start(), b.start()]);
    fixtures = cluster.fixtures().accounts[0]!;
  }, 120_000);
  afterAll(async () => {
    for (const client of clients) client.close();
    await a?.stop('SIGKILL');
    await b?.stop('SIGKILL');
    await cluster?.close();
    await redisProxy?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  async function signIn(node: NodeProcess, email: string): Promise<LoginResponse> {
    const login = await post<LoginResponse>(`${node.httpUrl}/api/v1/auth/login`, { email, password: CHAOS_PASSWORD });
    expect(login.status).toBe(200);
    return login.body;
  }

  async function agentConsole(node: NodeProcess, email: string) {
    const { token, agent } = await signIn(node, email);
    const socket = await TestClient.connect(node, { token });
    clients.push(socket);
    return { socket, ready: await socket.ready('agent'), agent, token };
  }

  async function visitorOn(node: NodeProcess, token?: string) {
    const session = await post<{ token: string; visitorId: string }>(`${node.httpUrl}/api/widget/session`,
      { siteKey: fixtures.siteKey, ...(token ? { token } : {}) }, { origin: ORIGIN });
    expect(session.status).toBe(200);
    const socket = await TestClient.connect(node, { token: session.body.token, origin: ORIGIN });
    clients.push(socket);
    return { socket, ready: await socket.ready('visitor'), token: session.body.token };
  }

  let visitorToken: string;
  let conversationId: string;
  let acked: number[] = [];
  let owner: Awaited<ReturnType<typeof agentConsole>>;
  let colleagueOnA: Awaited<ReturnType<typeof agentConsole>>;

  it('lets a visitor on node A and an agent on node B talk both ways, with typing and presence', async () => {
    colleagueOnA = await agentConsole(a, fixtures.agentEmails[1]!);
    owner = await agentConsole(b, fixtures.agentEmails[0]!);
    // Node B knows who is online on node A: presence is shared.
    expect(owner.ready.agents.find((agent) => agent.id === colleagueOnA.agent.id)?.availability).toBe('online');
    colleagueOnA.socket.send({ type: 'presence.set', availability: 'away' });
    await owner.socket.next('presence', (frame) => frame.agentId === colleagueOnA.agent.id && frame.availability === 'away');

    const visitor = await visitorOn(a);
    visitorToken = visitor.token;
    expect(visitor.ready.team.online).toBe(true); // the only online agent is on the other node

    visitor.socket.send({ type: 'message.send', clientId: randomUUID(), body: 'hello from node A' });
    const ack = await visitor.socket.next('ack');
    conversationId = ack.conversationId;
    acked.push(ack.seq);
    await owner.socket.next('message', (frame) => frame.message.conversationId === conversationId && frame.message.seq === ack.seq);

    visitor.socket.send({ type: 'typing', conversationId, typing: true });
    await owner.socket.next('typing', (frame) => frame.conversationId === conversationId && frame.authorKind === 'visitor' && frame.typing);
    owner.socket.send({ type: 'typing', conversationId, typing: true });
    await visitor.socket.next('typing', (frame) => frame.authorKind === 'agent' && frame.typing);
    owner.socket.send({ type: 'message.send', conversationId, clientId: randomUUID(), body: 'hello from node B' });
    const reply = await owner.socket.next('ack');
    acked.push(reply.seq);
    await visitor.socket.next('message', (frame) => frame.message.seq === reply.seq && frame.message.body === 'hello from node B');
  });

  it('resumes the visitor on node B with nothing lost when node A is killed, and takes node A\'s agents offline', async () => {
    const writer = await visitorOn(a, visitorToken);
    for (let i = 0; i < 20; i++) {
      writer.socket.send({ type: 'message.send', clientId: randomUUID(), body: `before the crash ${i}` });
      acked.push((await writer.socket.next('ack')).seq);
    }
    const killedAt = Date.now();
    await a.stop('SIGKILL');

    // The visitor comes back through the load balancer, to node B, and catches up by seq.
    const resumed = await visitorOn(b, visitorToken);
    expect(resumed.ready.conversation?.id).toBe(conversationId);
    resumed.socket.send({ type: 'sync', conversationId, afterSeq: 0 });
    const page = await resumed.socket.next('messages');
    expect(page.messages.map((message) => message.seq)).toEqual(expect.arrayContaining(acked));
    expect(page.messages.map((message) => message.seq)).toEqual([...page.messages.keys()].map((index) => index + 1));

    // Node A's console never said goodbye: its entry expires and node B announces the agent offline.
    await owner.socket.next('presence', (frame: Extract<ServerFrame, { type: 'presence' }>) =>
      frame.agentId === colleagueOnA.agent.id && frame.availability === 'offline', 4 * PRESENCE_TTL_MS + 5_000);
    console.log(`cluster: node A's agent went offline ${Date.now() - killedAt} ms after node A was killed (PRESENCE_TTL_MS ${PRESENCE_TTL_MS})`);
    await a.start();
  });

  it('assigns each of 50 simultaneous conversations on both nodes exactly once, never past an agent\'s capacity', async () => {
    owner.socket.close(); // the owner steps away: only the three agents below take conversations
    const auth = { authorization: `Bearer ${owner.token}` };
    const agents = [];
    for (const [index, capacity] of CAPACITIES.entries()) {
      const node = index % 2 === 0 ? a : b;
      const signedIn = await agentConsole(node, fixtures.agentEmails[index + 1]!);
      // Any node serves the REST API; the capacity holds on every node.
      const patched = await fetch(`${node.httpUrl}/api/v1/agents/${signedIn.agent.id}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ capacity }),
      });
      expect(patched.status).toBe(200);
      signedIn.socket.send({ type: 'presence.set', availability: 'online' });
      agents.push({ ...signedIn, capacity });
    }
    // The first agent was set away earlier and has conversation #1: start everyone from what they hold.
    const sql = postgres(cluster.databaseUrl!, { max: 2 });
    try {
      await sql`update conversations set status = 'resolved'`;
      await new Promise((resolve) => setTimeout(resolve, 300));

      const started = await Promise.all(Array.from({ length: VISITORS }, async (_, i) => {
        const visitor = await visitorOn(i % 2 === 0 ? a : b);
        visitor.socket.send({ type: 'message.send', clientId: randomUUID(), body: `question ${i}` });
        return (await visitor.socket.next('ack')).conversationId;
      }));
      await new Promise((resolve) => setTimeout(resolve, 500));

      const rows = await sql<{ id: string; assignee_id: string | null }[]>`
        select id, assignee_id from conversations where id in ${sql(started)}`;
      const free = CAPACITIES.reduce((sum, capacity) => sum + capacity, 0);
      const counts = agents.map(({ agent }) => rows.filter((row) => row.assignee_id === agent.id).length);
      console.log(`cluster: ${VISITORS} conversations at once on two nodes → assigned ${counts.join(' / ')} ` +
        `(capacities ${CAPACITIES.join(' / ')}), ${rows.filter((row) => row.assignee_id === null).length} waiting`);
      expect(rows).toHaveLength(VISITORS);
      expect(counts).toEqual(CAPACITIES);
      expect(rows.filter((row) => row.assignee_id === null)).toHaveLength(VISITORS - free);

      // Exactly once: every console, on either node, saw each conversation with one assignee only.
      for (const { socket } of agents) {
        const seen = new Map<string, Set<string>>();
        for (const frame of socket.frames) {
          if (frame.type !== 'conversation' || !started.includes(frame.conversation.id) || frame.conversation.assigneeId === null) continue;
          seen.set(frame.conversation.id, (seen.get(frame.conversation.id) ?? new Set()).add(frame.conversation.assigneeId));
        }
        expect(seen.size).toBe(free);
        expect([...seen.values()].every((assignees) => assignees.size === 1)).toBe(true);
      }
    } finally {
      await sql.end();
    }
  }, 60_000);

  it('keeps both nodes serving while Redis is cut off, and brings every message to every client when it returns', async () => {
    const visitorOnA = await visitorOn(a);
    const visitor = new Follower(visitorOnA.socket);
    const agentOnB = await agentConsole(b, fixtures.agentEmails[2]!);
    const agent = new Follower(agentOnB.socket);
    const { total, ackedDuringOutage, longest, caughtUp } = await exchangeThroughOutage(
      { visitorSocket: visitorOnA.socket, visitor, agentSocket: agentOnB.socket, agent },
      { cut: () => redisProxy.cut(), restore: () => redisProxy.restore() }, OUTAGE_MS);
    console.log(`cluster: ${total} messages, ${ackedDuringOutage} acknowledged while Redis was cut off for ${OUTAGE_MS} ms; ` +
      `longest delay from ack to the other node's client: ${longest} ms (BUS_PROBE_MS ${BUS_PROBE_MS})`);
    expect(ackedDuringOutage).toBeGreaterThan(10);
    expect(caughtUp).toEqual({ visitor: total, agent: total });
    expect(longest).toBeLessThan(OUTAGE_MS + 500 + 4 * BUS_PROBE_MS + 1_500);
  }, 60_000);
});
