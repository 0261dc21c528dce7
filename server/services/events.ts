// What happened, as services announce it. Services emit; listeners decide what to do: realtime/relay.ts
// turns events into frames for the sockets, and webhooks, metrics or e-mail notifications subscribe
// the same way without touching a service. An event carries what a listener needs (account, site,
// visitor, the view that left the server), so no listener queries the database per event.
//
// The emitter is synchronous and passes the event object itself: emitting a message costs a function
// call per listener, no copy and no serialisation (the hub serialises each frame once).
import type { Availability, ConversationStatus, ConversationView, MessageView, NoteView, VisitorView } from '../../protocol/index.ts';

/** Who wrote or is typing. Agents and bots carry their name, which clients show; a bot has no id. */
export type Author = Person | { kind: 'bot'; id: null; name: string };
/** Who can type: bots answer at once, so they never do. */
export interface Person { kind: 'visitor' | 'agent'; id: string; name: string | null }

export interface ConversationEvent {
  accountId: string;
  /** The conversation as it is now, after the change. */
  conversation: ConversationView;
}

export interface DomainEventMap {
  /** A visitor's first message opened a conversation; it is announced once, already routed (or not). */
  'conversation.created': ConversationEvent;
  /** Someone, the router or an agent's first reply changed the assignee. */
  'conversation.assigned': ConversationEvent & { previousAssigneeId: string | null };
  /** An agent set the status, or a visitor's message reopened the conversation. */
  'conversation.status': ConversationEvent & { previousStatus: ConversationStatus };
  /** A message was committed (resends of a stored message are not new: no event). */
  'message.created': { accountId: string; siteId: string; visitorId: string; message: MessageView };
  /** An agent (or an API token) added a private note: agents hear of it, visitors never. */
  'note.created': { accountId: string; siteId: string; visitorId: string; note: NoteView };
  /** A visitor's name, e-mail or attributes changed (REST, or an identified widget). */
  'visitor.updated': { accountId: string; visitor: VisitorView };
  /** A right-to-erasure request removed a visitor and everything they wrote. */
  'visitor.erased': { accountId: string; siteId: string; visitorId: string; conversationIds: string[]; messages: number };
  /** An agent was deactivated: their tokens already fail; their open sockets must close now, on every node. */
  'agent.deactivated': { accountId: string; agentId: string };
  /** An agent's password was changed or reset: their older tokens already fail; their open sockets close too. */
  'agent.password_changed': { accountId: string; agentId: string };
  /** Relayed, never stored. */
  typing: { accountId: string; siteId: string; visitorId: string; conversationId: string; author: Person; typing: boolean };
  /** An agent's availability as colleagues see it changed. */
  'agent.availability': { accountId: string; agentId: string; availability: Availability };
  /** Whether at least one agent of the account is online flipped: what visitors are shown. */
  'team.online': { accountId: string; online: boolean };
}

export type DomainEventType = keyof DomainEventMap;

/** A listener may be async; its rejection is reported like a throw, never left unhandled. */
export type Listener<E> = (event: E) => void | Promise<unknown>;

type Listeners = { [K in DomainEventType]?: readonly Listener<DomainEventMap[K]>[] };

export class DomainEvents {
  private listeners: Listeners = {};

  /** @param onError told about a listener that threw or rejected; the others still run. */
  constructor(private readonly onError: (error: unknown, type: DomainEventType) => void) {}

  /** Subscribes; returns the unsubscribe function. */
  on<K extends DomainEventType>(type: K, listener: Listener<DomainEventMap[K]>): () => void {
    // Copy on write: an emit in progress keeps iterating the array it started with.
    this.listeners = { ...this.listeners, [type]: [...(this.listeners[type] ?? []), listener] };
    return () => {
      this.listeners = { ...this.listeners, [type]: this.listeners[type]?.filter((l) => l !== listener) };
    };
  }

  /**
   * Runs every listener now, in subscription order. A listener's failure is the listener's: the
   * service that emitted has already done its work (a message is committed), so it is not failed.
   */
  emit<K extends DomainEventType>(type: K, event: DomainEventMap[K]): void {
    const listeners = this.listeners[type];
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        const result = listener(event);
        if (result instanceof Promise) result.catch((error: unknown) => this.onError(error, type));
      } catch (error) {
        this.onError(error, type);
      }
    }
  }
}
