// Wires the services together. Plain TypeScript: nothing here knows about HTTP or sockets. The
// database stays inside: callers (REST routes, the gateway) reach it only through a service.
import type { Db } from '../../db/index.ts';
import type { Config } from '../config.ts';
import { DomainEvents } from './events.ts';
import { Tokens } from './tokens.ts';
import { ApiTokens } from './api-tokens.ts';
import type { Presence } from './presence.ts';
import { MemoryPresence } from './presence-memory.ts';
import { Routing } from './routing.ts';
import { Conversations } from './conversations.ts';
import { Messages } from './messages.ts';
import { MessageStore, type CommitObserver } from './message-store.ts';
import { Identity } from './identity.ts';
import { Availability } from './availability.ts';
import { Team } from './team.ts';
import { Snapshots } from './snapshots.ts';
import { Invitations } from './invitations.ts';
import { createMailer } from './mailer.ts';
import { Notes } from './notes.ts';
import { Snoozes } from './snoozes.ts';
import { Sites } from './sites.ts';
import { CannedResponses } from './canned-responses.ts';
import { Webhooks } from './webhooks/webhooks.ts';
import type { AttemptObserver } from './webhooks/worker.ts';
import { Transcripts } from './transcripts.ts';
import { Exports } from './exports.ts';
import { Visitors } from './visitors.ts';
import { Reports } from './reports.ts';

export interface Services {
  /** What the services announce; subscribe here (realtime/relay.ts does, for the sockets). */
  events: DomainEvents;
  tokens: Tokens;
  apiTokens: ApiTokens;
  presence: Presence;
  identity: Identity;
  routing: Routing;
  conversations: Conversations;
  messages: Messages;
  availability: Availability;
  team: Team;
  snapshots: Snapshots;
  invitations: Invitations;
  notes: Notes;
  /** Reopens snoozed conversations when due; the app starts it and stops it on close. */
  snoozes: Snoozes;
  sites: Sites;
  cannedResponses: CannedResponses;
  /** Subscriptions, and this node's recorder and delivery worker (the app starts and closes them). */
  webhooks: Webhooks;
  transcripts: Transcripts;
  exports: Exports;
  visitors: Visitors;
  reports: Reports;
}

export function createServices(deps: {
  db: Db;
  secret: string;
  config: Config;
  onError: (error: unknown) => void;
  /** Defaults to an emitter nobody listens to yet. */
  events?: DomainEvents;
  /** Defaults to presence in this process's memory (one node). */
  presence?: Presence;
  /** Told of each batch the message store commits (metrics). */
  onMessagesCommitted?: CommitObserver;
  /** Told of each webhook delivery attempt (metrics). */
  onWebhookAttempt?: AttemptObserver;
}): Services {
  const { db, config } = deps;
  const events = deps.events ?? new DomainEvents(deps.onError);
  const presence = deps.presence ?? new MemoryPresence();
  const tokens = new Tokens(deps.secret);
  const apiTokens = new ApiTokens(db);
  const conversations = new Conversations(db, events);
  const routing = new Routing(db, presence, conversations);
  routing.listen(events, deps.onError);
  const notes = new Notes(db, events, conversations, config.maxMessageLength);
  const messages = new Messages(db, events, routing, conversations, config.maxMessageLength,
    new MessageStore(db, {}, deps.onMessagesCommitted), notes);
  const identity = new Identity(db, tokens, presence, events);
  const availability = new Availability(presence, routing, events, deps.onError);
  const team = new Team(db, presence, { events, identity, conversations, routing, onError: deps.onError });
  const snapshots = new Snapshots(db, presence, conversations, messages, team);
  const mailer = createMailer(config.smtpUrl, config.mailFrom, deps.onError);
  const invitations = new Invitations(db, identity, mailer, { publicUrl: config.publicUrl, ttlMs: config.invitationTtlMs });
  const snoozes = new Snoozes(db, conversations, deps.onError);
  const sites = new Sites(db);
  const cannedResponses = new CannedResponses(db);
  const transcripts = new Transcripts(db, conversations);
  const exports = new Exports(db);
  const visitors = new Visitors(db, events);
  const reports = new Reports(db);
  const webhooks = new Webhooks(db, config, { onError: deps.onError, ...(deps.onWebhookAttempt ? { onAttempt: deps.onWebhookAttempt } : {}) });
  return {
    events, tokens, apiTokens, presence, identity, routing, conversations, messages, availability, team, snapshots,
    invitations, notes, snoozes, sites, cannedResponses, webhooks, transcripts, exports, visitors, reports,
  };
}
