// Transcripts of one conversation and the streamed export of every message: what goes out, in which
// order, how it is quoted, and what never goes out (notes, other accounts' messages).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { schema } from '../../db/index.ts';
import { Exports, timeRange, type ExportedMessage, type TimeRange } from '../../server/services/exports.ts';
import { neutraliseFormula } from '../../server/services/transcripts.ts';
import {
  TestClient, addAgent, createTenant, driver, get, loginAgent, startServer, visitorSession, type Tenant, type TestServer,
} from '../helpers.ts';

const ORIGIN = 'http://shop.test';

/** RFC 4180: quoted cells may hold commas, quotes (doubled) and line breaks. Throws on malformed input. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '"' && cell === '') {
      const end = /"(?:[^"]|"")*"/y;
      end.lastIndex = i;
      const match = end.exec(text);
      if (!match) throw new Error(`unterminated quote at ${i}`);
      cell = match[0].slice(1, -1).replace(/""/g, '"');
      i = end.lastIndex;
      if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') throw new Error(`text after a quote at ${i}`);
      continue;
    }
    if (char === ',') { row.push(cell); cell = ''; i += 1; continue; }
    if (char === '\n' || char === '\r') {
      row.push(cell); rows.push(row); row = []; cell = '';
      i += text.startsWith('\r\n', i) ? 2 : 1;
      continue;
    }
    if (char === '"') throw new Error(`stray quote at ${i}`);
    cell += char;
    i += 1;
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}

async function download(url: string, token: string) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { response, text: await response.text() };
}

interface Seeded { conversationId: string; visitorId: string; agentId: string }

/** A conversation with a visitor message, an agent reply (from the agent's socket) and a private note. */
async function seedConversation(server: TestServer, tenant: Tenant, agentName: string): Promise<Seeded> {
  const agent = await addAgent(server.database, tenant.accountId, `${agentName.toLowerCase()}-${randomUUID().slice(0, 6)}@example.com`);
  await server.database.db.update(schema.agents).set({ name: agentName }).where(sql`${schema.agents.id} = ${agent.id}`);
  const session = await visitorSession(server, tenant.site);
  await server.database.db.update(schema.visitors).set({ name: 'Grace' }).where(sql`${schema.visitors.id} = ${session.visitorId}`);
  const visitor = await TestClient.connect(server, { token: session.token, origin: ORIGIN });
  await visitor.ready('visitor');
  visitor.send({ type: 'message.send', clientId: randomUUID(), body: '=HYPERLINK("http://evil.test","click"), my order is late' });
  const ack = await visitor.next('ack');
  const agentSocket = await TestClient.connect(server, { token: await loginAgent(server, agent.email) });
  await agentSocket.ready('agent');
  agentSocket.send({ type: 'message.send', conversationId: ack.conversationId, clientId: randomUUID(), body: 'Sorry about that!\nIt ships today, "express".' });
  await agentSocket.next('ack');
  visitor.close();
  agentSocket.close();
  await server.database.db.insert(schema.notes).values({
    conversationId: ack.conversationId, authorId: agent.id, authorName: agentName, body: 'PRIVATE: customer was rude',
  });
  return { conversationId: ack.conversationId, visitorId: session.visitorId, agentId: agent.id };
}

describe(`conversation transcripts (${driver})`, () => {
  let server: TestServer;
  let tenant: Tenant;
  let other: Tenant;
  let agentToken: string;
  let seeded: Seeded;

  beforeAll(async () => {
    server = await startServer();
    tenant = await createTenant(server.database, [ORIGIN], 'transcripts');
    other = await createTenant(server.database, [ORIGIN], 'transcripts-other');
    seeded = await seedConversation(server, tenant, 'Alice');
    const agent = await addAgent(server.database, tenant.accountId, 'plain-agent-transcripts@example.com', 'agent');
    agentToken = await loginAgent(server, agent.email);
  });
  afterAll(async () => { await server.close(); });

  const url = (id: string, format?: string) =>
    `${server.url}/api/v1/conversations/${id}/transcript${format ? `?format=${format}` : ''}`;

  it('answers JSON by default: the messages oldest first with author kind and name, as an attachment', async () => {
    const { response, text } = await download(url(seeded.conversationId), agentToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="conversation-${seeded.conversationId}.json"`);
    const transcript = JSON.parse(text) as { visitorName: string; messages: { seq: number; authorKind: string; authorName: string; body: string; createdAt: string }[] };
    expect(transcript.visitorName).toBe('Grace');
    expect(transcript.messages.map((m) => [m.seq, m.authorKind, m.authorName])).toEqual([[1, 'visitor', 'Grace'], [2, 'agent', 'Alice']]);
    expect(transcript.messages[1]!.body).toBe('Sorry about that!\nIt ships today, "express".');
    expect(Date.parse(transcript.messages[0]!.createdAt)).not.toBeNaN();
  });

  it('leaves private notes out of every format', async () => {
    for (const format of ['json', 'csv', 'txt']) {
      const { response, text } = await download(url(seeded.conversationId, format), agentToken);
      expect(response.status).toBe(200);
      expect(text, format).not.toContain('PRIVATE');
    }
  });

  it('writes CSV with quoting and neutralises cells a spreadsheet would run as formulas', async () => {
    const { response, text } = await download(url(seeded.conversationId, 'csv'), agentToken);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toContain('.csv"');
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(['seq', 'createdAt', 'authorKind', 'authorName', 'body']);
    expect(rows.map((row) => row.slice(2))).toEqual([
      ['visitor', 'Grace', '\'=HYPERLINK("http://evil.test","click"), my order is late'],
      ['agent', 'Alice', 'Sorry about that!\nIt ships today, "express".'],
    ]);
  });

  it('writes text as readable lines: [time] name (kind): text', async () => {
    const { response, text } = await download(url(seeded.conversationId, 'txt'), agentToken);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines = text.split('\n');
    expect(lines[0]).toContain(`Conversation ${seeded.conversationId} with Grace`);
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}\] Grace \(visitor\): =HYPERLINK/));
    expect(lines).toContainEqual(expect.stringMatching(/^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}\] Alice \(agent\): Sorry about that!$/));
    expect(lines).toContain('    It ships today, "express".');
  });

  it('answers another account\'s conversation like a missing one, and an unknown format with 400', async () => {
    const otherToken = await loginAgent(server, other.owner.email);
    const foreign = await get<{ code: string; message: string }>(url(seeded.conversationId), otherToken);
    const missing = await get<{ code: string; message: string }>(url(randomUUID()), otherToken);
    expect(foreign).toEqual({ status: 404, body: expect.objectContaining({ code: 'NOT_FOUND' }) });
    expect(foreign.body.message).toBe(missing.body.message);
    expect((await get<{ code: string }>(url(seeded.conversationId, 'xlsx'), agentToken)).body.code).toBe('VALIDATION_FAILED');
  });
});

describe(`streamed message export (${driver})`, () => {
  const TOTAL = 3_500;
  let server: TestServer;
  let tenant: Tenant;
  let adminToken: string;
  const base = new Date('2026-10-01T00:00:00Z');

  beforeAll(async () => {
    server = await startServer();
    const { db } = server.database;
    tenant = await createTenant(server.database, [ORIGIN], 'exports');
    const other = await createTenant(server.database, [ORIGIN], 'exports-other');
    const admin = await addAgent(server.database, tenant.accountId, 'admin-exports@example.com', 'admin');
    adminToken = await loginAgent(server, admin.email);
    const [visitor] = await db.insert(schema.visitors).values({ siteId: tenant.site.id, name: 'Linus' }).returning();
    const [otherVisitor] = await db.insert(schema.visitors).values({ siteId: other.site.id }).returning();
    const made = await db.insert(schema.conversations).values([0, 1, 2].map(() => ({ siteId: tenant.site.id, visitorId: visitor!.id, status: 'resolved' as const })))
      .returning();
    const [foreign] = await db.insert(schema.conversations).values({ siteId: other.site.id, visitorId: otherVisitor!.id }).returning();
    // Rows come in threes with the very same created_at (and microseconds), so pages of 1,000 end
    // inside a tie: only a (created_at, id) keyset at full precision returns each row once.
    await db.execute(sql`
      insert into messages (conversation_id, seq, client_id, author_kind, author_id, body, created_at)
      select (array[${made[0]!.id}::uuid, ${made[1]!.id}::uuid, ${made[2]!.id}::uuid])[i % 3 + 1], i / 3 + 1, 'c' || i,
        case when i % 2 = 0 then 'visitor'::author_kind else 'agent'::author_kind end,
        case when i % 2 = 0 then ${visitor!.id}::uuid else ${admin.id}::uuid end,
        case i % 5 when 0 then '=cmd|'' /C calc''!A0' when 1 then 'line one' || chr(10) || 'line two, "quoted"' else 'message ' || i end,
        ${base.toISOString()}::timestamptz + (i / 3) * interval '1.000001 second'
      from generate_series(0, ${TOTAL - 1}) as i`);
    // Outside the range asked for, and another account's: neither may appear.
    await db.execute(sql`
      insert into messages (conversation_id, seq, client_id, author_kind, body, created_at)
      values (${made[0]!.id}::uuid, 100000, 'late', 'system', 'after the range', '2026-12-01T00:00:00Z'),
             (${foreign!.id}::uuid, 1, 'foreign', 'visitor', 'another account', ${base.toISOString()}::timestamptz)`);
  });
  afterAll(async () => { await server.close(); });

  const range = 'since=2026-10-01T00:00:00Z&until=2026-11-01T00:00:00Z';

  async function expectedIds(): Promise<string[]> {
    const rows = await server.database.db.select({ id: schema.messages.id }).from(schema.messages)
      .innerJoin(schema.conversations, sql`${schema.conversations.id} = ${schema.messages.conversationId}`)
      .where(sql`${schema.conversations.siteId} = ${tenant.site.id} and ${schema.messages.createdAt} < '2026-11-01T00:00:00Z'`)
      .orderBy(schema.messages.createdAt, schema.messages.id);
    return rows.map((row) => row.id);
  }

  it('streams every message of the range once, oldest first, as JSON Lines', async () => {
    const { response, text } = await download(`${server.url}/api/v1/exports/messages?${range}`, adminToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="messages-2026-10-01-to-2026-11-01.jsonl"');
    // Streamed: no length known in advance.
    expect(response.headers.get('content-length')).toBeNull();
    expect(text.endsWith('\n')).toBe(true);
    const rows = text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(TOTAL);
    expect(rows.map((row) => row.id)).toEqual(await expectedIds());
    expect(rows.map((row) => row.body)).not.toContain('another account');
    const first = rows[0]!;
    expect(Object.keys(first).sort()).toEqual(['authorId', 'authorKind', 'authorName', 'body', 'conversationId', 'createdAt', 'id', 'seq', 'siteId', 'visitorId']);
    expect(first).toMatchObject({ siteId: tenant.site.id, createdAt: '2026-10-01T00:00:00.000Z' });
    expect(rows.find((row) => row.seq === 1 && row.authorKind === 'visitor')).toMatchObject({ authorName: 'Linus', authorId: expect.any(String) });
    expect(rows.find((row) => row.authorKind === 'agent')).toMatchObject({ authorName: 'admin-exports' });
  });

  it('streams the same rows as valid CSV, formulas neutralised', async () => {
    const { response, text } = await download(`${server.url}/api/v1/exports/messages?${range}&format=csv`, adminToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(['id', 'conversationId', 'siteId', 'visitorId', 'seq', 'authorKind', 'authorId', 'authorName', 'body', 'createdAt']);
    expect(rows.map((row) => row[0])).toEqual(await expectedIds());
    const bodies = new Set(rows.map((row) => row[8]));
    expect(bodies).toContain('\'=cmd|\' /C calc\'!A0');
    expect(bodies).toContain('line one\nline two, "quoted"');
    expect([...bodies].some((body) => body?.startsWith('='))).toBe(false);
  });

  it('reads the next page only when the reader has taken the last one, and stops when the reader goes', async () => {
    /** Pages of 100 rows (about 40 kB each, more than the stream's 16 kB buffer), counted as they are read from the database. */
    class CountingExports extends Exports {
      pulled = 0;
      finished = false;
      constructor() { super(server.database.db, 100); }
      override async *pages(accountId: string, range: TimeRange): AsyncGenerator<ExportedMessage[]> {
        try {
          for await (const page of super.pages(accountId, range)) {
            this.pulled += 1;
            yield page;
          }
        } finally {
          this.finished = true;
        }
      }
    }
    const caller = { accountId: tenant.accountId, role: 'admin' as const, agentId: null, tokenId: null, name: 'test' };
    const query = { since: '2026-10-01T00:00:00Z', until: '2026-11-01T00:00:00Z' };
    const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

    const slow = new CountingExports();
    const stream = slow.messages(caller, query, 'jsonl').stream;
    await settle();
    expect(slow.pulled, 'pages read before anyone asked').toBe(0);
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    stream.pause();
    await settle();
    expect(first.toString().split('\n')).toHaveLength(101);
    expect(slow.pulled, 'pages read while the reader sits on the first').toBeLessThanOrEqual(2);
    stream.destroy();
    await settle();
    expect(slow.finished, 'the page reader is closed when the stream is').toBe(true);
    expect(slow.pulled).toBeLessThanOrEqual(2);

    const full = new CountingExports();
    let lines = 0;
    for await (const chunk of full.messages(caller, query, 'jsonl').stream) lines += String(chunk).split('\n').length - 1;
    expect({ lines, pulled: full.pulled, finished: full.finished }).toEqual({ lines: TOTAL, pulled: TOTAL / 100, finished: true });
  });

  it('answers only the header when nothing matches', async () => {
    const { text } = await download(`${server.url}/api/v1/exports/messages?since=2020-01-01T00:00:00Z&until=2020-02-01T00:00:00Z&format=csv`, adminToken);
    expect(parseCsv(text)).toHaveLength(1);
  });

  it('refuses bad times and a range that ends before it starts, before streaming anything', async () => {
    for (const query of ['since=yesterday', 'until=2026-13-45T00:00:00Z', 'since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z']) {
      const answer = await get<{ code: string }>(`${server.url}/api/v1/exports/messages?${query}`, adminToken);
      expect({ query, status: answer.status, code: answer.body.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
    }
  });
});

describe('export time ranges and cells (no database)', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  it('defaults to the 30 days before until, and until to now', () => {
    expect(timeRange({}, now)).toEqual({ since: new Date('2026-10-31T12:00:00Z'), until: now });
    expect(timeRange({ until: '2026-11-10T00:00:00Z' }, now).since).toEqual(new Date('2026-10-11T00:00:00Z'));
    expect(timeRange({ since: '2026-11-01', until: '2026-11-01' }, now)).toEqual({ since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-01T00:00:00Z') });
    expect(timeRange({ since: '2026-11-01T10:00:00+02:00' }, now).since).toEqual(new Date('2026-11-01T08:00:00Z'));
  });

  it('refuses what is not ISO 8601, impossible dates and a reversed range', () => {
    for (const query of [{ since: 'last week' }, { until: '1700000000' }, { since: '2026-02-30T00:00:00Z' }, { since: '2026-11-02', until: '2026-11-01' }]) {
      expect(() => timeRange(query, now), JSON.stringify(query)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });

  it('prefixes with an apostrophe exactly the cells a spreadsheet would run', () => {
    expect(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx', 'a=b', ' =1', 'plain'].map(neutraliseFormula))
      .toEqual(['\'=1+1', '\'+1', '\'-1', '\'@SUM(A1)', '\'\tx', '\'\rx', 'a=b', ' =1', 'plain']);
  });
});
