// A test's client of one conversation that does what the widget and the console do on `resync`:
// sync from the highest seq it holds without a gap. It notes when each seq arrived.
import type { MessageView, ServerFrame } from '../../protocol/index.ts';
import { randomUUID } from 'node:crypto';
import type { TestClient } from '../helpers.ts';
import { waitFor } from './node-process.ts';

/** A client that keeps every message of one conversation by seq, and catches up on `resync`. */
export class Follower {
  readonly arrivedAt = new Map<number, number>();
  private conversationId: string | null = null;

  constructor(readonly client: TestClient) {
    client.socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ServerFrame;
      if (frame.type === 'message') this.hold([frame.message]);
      if (frame.type === 'messages') {
        this.hold(frame.messages);
        if (frame.hasMore) this.sync(frame.messages.at(-1)!.seq);
      }
      if (frame.type === 'resync') this.sync(this.contiguous());
    });
  }

  follow(conversationId: string): void {
    this.conversationId = conversationId;
  }

  contiguous(): number {
    let seq = 0;
    while (this.arrivedAt.has(seq + 1)) seq += 1;
    return seq;
  }

  private sync(afterSeq: number): void {
    if (this.conversationId) this.client.send({ type: 'sync', conversationId: this.conversationId, afterSeq });
  }

  private hold(messages: MessageView[]): void {
    for (const message of messages) {
      if (message.conversationId === this.conversationId && !this.arrivedAt.has(message.seq)) this.arrivedAt.set(message.seq, Date.now());
    }
  }
}


/**
 * A visitor and an agent on one new conversation write steadily while the bus is cut for `outageMs`
 * and restored; resolves once both hold every acknowledged message (or 15 s passed), with the
 * longest delay any message saw between its ack and its arrival on the other side.
 */
export async function exchangeThroughOutage(
  { visitorSocket, visitor, agentSocket, agent }: { visitorSocket: TestClient; visitor: Follower; agentSocket: TestClient; agent: Follower },
  bus: { cut(): void; restore(): void },
  outageMs: number,
): Promise<{ total: number; ackedDuringOutage: number; longest: number; caughtUp: { visitor: number; agent: number } }> {
  // Before the outage: the conversation exists and crosses nodes live.
  visitorSocket.send({ type: 'message.send', clientId: randomUUID(), body: 'hello' });
  const { conversationId } = await visitorSocket.next('ack');
  visitor.follow(conversationId);
  agent.follow(conversationId);
  visitor.arrivedAt.set(1, Date.now());
  const ackedAt = new Map<number, number>([[1, Date.now()]]);
  await waitFor(() => agent.arrivedAt.has(1), 10_000);

  // Both write during the outage; each write is acknowledged (committed) by its own node.
  let writing = true;
  const write = async (socket: TestClient, follower: Follower, who: string) => {
    for (let i = 0; writing; i++) {
      const clientId = randomUUID();
      socket.send({ type: 'message.send', conversationId, clientId, body: `${who} ${i}` });
      const ack = await socket.next('ack', (frame) => frame.clientId === clientId);
      ackedAt.set(ack.seq, Date.now());
      follower.arrivedAt.set(ack.seq, Date.now()); // a writer holds its own message from the ack on
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const writers = Promise.all([write(visitorSocket, visitor, 'visitor'), write(agentSocket, agent, 'agent')]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  bus.cut();
  const cutAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, outageMs));
  const ackedDuringOutage = [...ackedAt.values()].filter((at) => at > cutAt).length;
  bus.restore();
  await new Promise((resolve) => setTimeout(resolve, 500));
  writing = false;
  await writers;

  const total = Math.max(...ackedAt.keys());
  await waitFor(() => visitor.contiguous() === total && agent.contiguous() === total, 15_000);

  const delays = [...ackedAt.entries()].map(([seq, at]) =>
    Math.max((visitor.arrivedAt.get(seq) ?? Infinity) - at, (agent.arrivedAt.get(seq) ?? Infinity) - at));
  return { total, ackedDuringOutage, longest: Math.max(...delays), caughtUp: { visitor: visitor.contiguous(), agent: agent.contiguous() } };
}
