// What the chaos and rolling-restart tests share: the cast (agents and visitors of the fixtures'
// accounts, running ChaosClient), a steady stream of visitor messages, the drain at the end, and the
// verdict — the database's rows against every client's acks and views: each acknowledged message
// stored once where its ack said, each client shown every message of its conversations once, in order.
import { eq } from 'drizzle-orm';
import { openDb, schema } from '../../db/index.ts';
import type { ConversationListResponse, ConversationView, MessageView } from '../../protocol/index.ts';
import { sleep, waitFor } from '../cluster/node-process.ts';
import { post } from '../helpers.ts';
import { ChaosClient, type ChaosClientStats } from './client.ts';
import { CHAOS_PASSWORD, type ChaosFixtures } from './server-child.ts';

export interface Participant {
  client: ChaosClient;
  accountId: string;
  /** Visitor tabs: whose conversation they show. */
  visitorId?: string;
}

/** The clients of a run, and the writing they do. */
export class Cast {
  private replying = true;
  private stopWritingNow: (() => void) | undefined;

  constructor(
    readonly participants: Participant[],
    /** One agent's token per account, to list the account's conversations. */
    readonly agentTokens: Map<string, string>,
  ) {}

  get clients(): ChaosClient[] {
    return this.participants.map((p) => p.client);
  }

  get isReplying(): boolean {
    return this.replying;
  }

  /** Visitors start writing steadily (writeSteadily). */
  startWriting(options: Parameters<typeof writeSteadily>[1]): void {
    this.stopWritingNow = writeSteadily(this.clients.filter((client) => client.role === 'visitor'), options);
  }

  /** No new messages: visitors stop writing, agents stop answering, nobody cuts connections any more. */
  stopWriting(): void {
    this.stopWritingNow?.();
    this.replying = false;
    for (const client of this.clients) client.stopCutting();
  }

  /** Everything stops; for afterAll too. */
  stop(): void {
    this.stopWriting();
    for (const client of this.clients) client.stop();
  }
}

const between = ({ min, max }: { min: number; max: number }) => min + Math.random() * (max - min);

/**
 * Per account every agent of the fixtures (each answering `replyChance` of the visitor messages it is
 * shown) and `visitorsPerAccount` visitors, the first visitor of the first account with a second tab.
 * Not started yet.
 */
export async function castFromFixtures(fixtures: ChaosFixtures, options: {
  httpUrl: string; wsUrl: string; visitorsPerAccount: number; replyChance: number;
}): Promise<Cast> {
  const { httpUrl, wsUrl } = options;
  const participants: Participant[] = [];
  const agentTokens = new Map<string, string>();
  const cast = new Cast(participants, agentTokens);
  for (const account of fixtures.accounts) {
    for (const email of account.agentEmails) {
      const login = await post<{ token: string }>(`${httpUrl}/api/v1/auth/login`, { email, password: CHAOS_PASSWORD });
      if (login.status !== 200) throw new Error(`login of ${email}: ${login.status}`);
      agentTokens.set(account.accountId, login.body.token);
      const agent = new ChaosClient({
        name: email, role: 'agent', wsUrl, httpUrl, token: login.body.token,
        onDeliver: (message, self) => {
          if (cast.isReplying && message.authorKind === 'visitor' && Math.random() < options.replyChance) {
            self.send(`${self.name} answers seq ${message.seq}`, message.conversationId);
          }
        },
      });
      participants.push({ client: agent, accountId: account.accountId });
    }
    for (let v = 0; v < options.visitorsPerAccount; v++) {
      const session = await post<{ token: string; visitorId: string }>(`${httpUrl}/api/widget/session`,
        { siteKey: account.siteKey }, { origin: fixtures.origin });
      if (session.status !== 200) throw new Error(`visitor session: ${session.status}`);
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
  return cast;
}

/**
 * Visitors write at a steady pace whether or not they are connected: the outbox holds the rest. The
 * pace follows the clock, not the ticks, so a busy machine's late timers do not shrink the run. Now
 * and then one pastes a burst of lines. Returns what stops the writing.
 */
export function writeSteadily(visitors: ChaosClient[], options: {
  runMs: number; messagesPerTab: number; burst: { chance: number; size: number };
}): () => void {
  const { runMs, messagesPerTab, burst } = options;
  const writingStart = Date.now();
  const meanGapMs = runMs / messagesPerTab;
  let writing = true;
  const timers = new Set<NodeJS.Timeout>();
  for (const client of visitors) {
    let written = 0;
    const writeNext = () => {
      const due = Math.ceil(messagesPerTab * (Date.now() - writingStart) / (runMs * 0.9));
      // A burst runs ahead of the schedule; the ticks after it write nothing until it catches up.
      const lines = Math.max(due - written, Math.random() < burst.chance ? burst.size : 0);
      for (let line = 0; line < lines && writing && written < messagesPerTab; line++) {
        written += 1;
        client.send(`${client.name} says #${written}`);
      }
      if (!writing || written >= messagesPerTab) return;
      schedule(between({ min: meanGapMs * 0.5, max: meanGapMs * 1.5 }));
    };
    const schedule = (ms: number) => {
      const timer = setTimeout(() => { timers.delete(timer); writeNext(); }, ms);
      timers.add(timer);
    };
    schedule(between({ min: 0, max: meanGapMs }));
  }
  return () => {
    writing = false;
    for (const timer of timers) clearTimeout(timer);
  };
}

/**
 * No more messages: waits for every outbox to empty, then for every client to hold each of its
 * conversations up to the server's last seq.
 */
export async function drain(cast: Cast, httpUrl: string, timeoutMs: number): Promise<{ outboxesEmpty: boolean; caughtUp: boolean; drainMs: number }> {
  const { participants } = cast;
  const drainStart = Date.now();
  const outboxesEmpty = await waitFor(() => participants.every(({ client }) => client.ready && client.unacknowledged === 0), timeoutMs);
  // Every message is committed now; the server's view of each conversation is the target.
  const conversationsByAccount = new Map<string, ConversationView[]>();
  for (const [accountId, token] of cast.agentTokens) {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${httpUrl}/api/v1/conversations?view=all`, { headers: { authorization: `Bearer ${token}` } });
      if (response.ok) {
        conversationsByAccount.set(accountId, (await response.json() as ConversationListResponse).conversations);
        break;
      }
      if (attempt === 5) throw new Error(`conversation list: ${response.status}`);
      await sleep(200);
    }
  }
  const expectedOf = (participant: Participant): ConversationView[] =>
    (conversationsByAccount.get(participant.accountId) ?? [])
      .filter((conversation) => !participant.visitorId || conversation.visitorId === participant.visitorId);
  const caughtUp = await waitFor(() => participants.every((participant) =>
    expectedOf(participant).every((conversation) =>
      participant.client.conversations.get(conversation.id)?.contiguousSeq === conversation.lastSeq)),
  timeoutMs - (Date.now() - drainStart));
  return { outboxesEmpty, caughtUp, drainMs: Date.now() - drainStart };
}

export interface Verdict {
  problems: string[];
  lost: number;
  /** Stored twice, or shown twice by a client. */
  duplicates: number;
  /** Missing seqs in the store or in a client's view. */
  gaps: number;
  stored: number;
  conversations: number;
  sent: number;
  acknowledged: number;
  delivered: number;
  /** Summed over the clients. */
  totals: Omit<ChaosClientStats, 'errors' | 'fatalCloses'>;
  errors: Record<string, number>;
  /** When each stored message was committed (its created_at), by clientId. */
  committedAt: Map<string, Date>;
}

/** The database's account of what happened (read after every node has stopped), against the clients'. */
export async function verdict(participants: Participant[], database: { url?: string; dataDir?: string }): Promise<Verdict> {
  const verifier = await openDb(database.url ? { url: database.url } : { dataDir: database.dataDir });
  const stored = await verifier.db.select({
    id: schema.messages.id, conversationId: schema.messages.conversationId, seq: schema.messages.seq,
    clientId: schema.messages.clientId, body: schema.messages.body, createdAt: schema.messages.createdAt,
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

  const totals = {} as Verdict['totals'];
  const errors: Record<string, number> = {};
  for (const { client } of participants) {
    const { errors: clientErrors, fatalCloses: _fatal, ...counts } = client.stats;
    for (const [key, value] of Object.entries(counts) as [keyof Verdict['totals'], number][]) totals[key] = (totals[key] ?? 0) + value;
    for (const [code, count] of Object.entries(clientErrors)) errors[code] = (errors[code] ?? 0) + count;
  }
  return {
    problems, lost, duplicates: storedTwice + shownTwice, gaps: storeGaps + viewGaps,
    stored: stored.length,
    conversations: storedConversations.length,
    sent: totals.sent,
    acknowledged: participants.reduce((sum, { client }) => sum + client.acks.size, 0),
    delivered: participants.reduce((sum, { client }) =>
      sum + [...client.conversations.values()].reduce((n, log) => n + log.delivered.length, 0), 0),
    totals, errors,
    committedAt: new Map(stored.map((row) => [row.clientId, row.createdAt])),
  };
}
