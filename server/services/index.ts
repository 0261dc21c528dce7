// Wires the services together. Plain TypeScript: nothing here knows about HTTP or sockets.
import type { Db } from '../../db/index.ts';
import type { Config } from '../config.ts';
import type { Publisher } from '../realtime/hub.ts';
import { Tokens } from './tokens.ts';
import { Presence } from './presence.ts';
import { Routing } from './routing.ts';
import { Conversations } from './conversations.ts';
import { Messages } from './messages.ts';
import { MessageStore } from './message-store.ts';
import { Identity } from './identity.ts';
import { Availability } from './availability.ts';
import { Team } from './team.ts';

export interface Services {
  db: Db;
  tokens: Tokens;
  presence: Presence;
  identity: Identity;
  routing: Routing;
  conversations: Conversations;
  messages: Messages;
  availability: Availability;
  team: Team;
}

export function createServices(deps: {
  db: Db;
  publisher: Publisher;
  secret: string;
  config: Config;
  onError: (error: unknown) => void;
}): Services {
  const { db, publisher, config } = deps;
  const tokens = new Tokens(deps.secret);
  const presence = new Presence();
  const routing = new Routing(db, presence, publisher);
  const conversations = new Conversations(db, publisher);
  const messages = new Messages(db, publisher, routing, conversations, config.maxMessageLength, new MessageStore(db));
  const identity = new Identity(db, tokens, presence);
  const availability = new Availability(presence, routing, publisher, deps.onError);
  return { db, tokens, presence, identity, routing, conversations, messages, availability, team: new Team(db, presence) };
}
