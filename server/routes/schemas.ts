// The REST API's shapes as TypeBox schemas: they validate requests, type the handlers (through the
// type provider), serialise responses and generate the OpenAPI document (plugins/api-docs.ts).
// The protocol's TypeScript interfaces (protocol/) stay the clients' source; the checks at the
// bottom make the compiler fail if a schema and its interface drift apart.
import Type, { type Static, type TSchema } from 'typebox';
import type * as protocol from '../../protocol/index.ts';
import { errorCatalog, type ErrorCode } from '../../protocol/index.ts';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Id = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Type.String({ maxLength: 200 }) });

export const ConversationStatus = Type.Enum(['open', 'pending', 'resolved', 'snoozed']);
export const AuthorKind = Type.Enum(['visitor', 'agent', 'system', 'bot']);
export const Availability = Type.Enum(['online', 'away', 'offline']);
export const AgentRole = Type.Enum(['owner', 'admin', 'agent']);
export const ConversationListView = Type.Enum(['unassigned', 'mine', 'all']);

export const MessageView = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  seq: Type.Integer(),
  clientId: Type.String(),
  authorKind: AuthorKind,
  authorId: Nullable(Type.String()),
  authorName: Nullable(Type.String()),
  body: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const ConversationView = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  visitorId: Type.String(),
  visitorName: Type.String(),
  assigneeId: Nullable(Type.String()),
  status: ConversationStatus,
  snoozedUntil: Nullable(Type.String({ format: 'date-time' })),
  lastSeq: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  lastMessage: Nullable(Type.Object({ body: Type.String(), authorKind: AuthorKind, createdAt: Type.String({ format: 'date-time' }) })),
  withBot: Type.Optional(Type.Boolean({ description: 'The site\'s bot has it: no agent is routed until it hands off' })),
});

export const AgentView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: AgentRole,
  availability: Availability,
  capacity: Type.Optional(Nullable(Type.Integer({ minimum: 0 }))),
  deactivatedAt: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
});

export const WidgetSettings = Type.Object({
  title: Type.String(),
  greeting: Type.String(),
  color: Type.String(),
  position: Type.Enum(['right', 'left']),
  teamName: Type.Optional(Type.String()),
  launcherLabel: Type.Optional(Type.String()),
  locale: Type.Optional(Type.String()),
  expectedReplyTime: Type.Optional(Type.String()),
});

export const Weekday = Type.Enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
const OpeningRange = Type.Tuple([
  Type.String({ pattern: '^\\d\\d:\\d\\d$', description: 'HH:MM, local time' }),
  Type.String({ pattern: '^\\d\\d:\\d\\d$' }),
]);
const DayRanges = Type.Array(OpeningRange, { maxItems: 10 });
export const BusinessHours = Type.Object({
  timeZone: Type.String({ maxLength: 100, description: 'IANA time zone, e.g. Europe/Paris' }),
  days: Type.Object({
    mon: Type.Optional(DayRanges), tue: Type.Optional(DayRanges), wed: Type.Optional(DayRanges),
    thu: Type.Optional(DayRanges), fri: Type.Optional(DayRanges), sat: Type.Optional(DayRanges), sun: Type.Optional(DayRanges),
  }, { additionalProperties: false, description: 'Days without an entry are closed' }),
});

export const SiteView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  publicKey: Type.String(),
  allowedOrigins: Type.Array(Type.String()),
  settings: WidgetSettings,
  businessHours: Nullable(BusinessHours),
  requireIdentity: Type.Boolean(),
  botFirst: Type.Boolean(),
  hasIdentitySecret: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const CannedResponseView = Type.Object({
  id: Type.String(),
  siteId: Nullable(Type.String()),
  shortcut: Type.String(),
  body: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const VisitorAttributes = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]));

export const VisitorView = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  name: Nullable(Type.String()),
  email: Nullable(Type.String()),
  attributes: VisitorAttributes,
  createdAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
});

export const LoginResponse = Type.Object({ token: Type.String(), agent: AgentView });
export const MeResponse = Type.Object({
  agent: AgentView,
  account: Type.Object({ id: Type.String(), name: Type.String() }),
  sites: Type.Array(SiteView),
});
export const AgentListResponse = Type.Object({ agents: Type.Array(AgentView) });
export const ConversationListResponse = Paged('conversations', ConversationView);
export const ConversationResponse = Type.Object({ conversation: ConversationView });
export const MessagePage = Type.Object({ messages: Type.Array(MessageView), hasMore: Type.Boolean() });
export const NoteView = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  authorId: Nullable(Type.String()),
  authorName: Type.String(),
  body: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
export const WidgetSessionResponse = Type.Object({
  token: Type.String(),
  visitorId: Type.String(),
  settings: WidgetSettings,
  team: Type.Object({ online: Type.Boolean(), open: Type.Boolean(), opensAt: Nullable(Type.String({ format: 'date-time' })) }),
});

/** A password being set (invitation, reset, change); signing in accepts any stored one. */
export const NewPassword = Type.String({ minLength: 8, maxLength: 1024, description: 'At least 8 characters' });

/** `?cursor=&limit=` of every list: pass a page's `nextCursor` back for the next one. */
export const PageQuery = {
  cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
};

/** A page of a list: the items under their plural name, and the cursor of the next page (null at the end). */
export function Paged<K extends string, S extends TSchema>(key: K, item: S) {
  return Type.Object({ [key]: Type.Array(item), nextCursor: Nullable(Type.String()) } as { [P in K]: Type.TArray<S> } & { nextCursor: Type.TUnion<[Type.TString, Type.TNull]> });
}

/** Every error answer: `code` is one of the catalog's (protocol/errors.ts). */
export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  code: Type.Enum(Object.keys(errorCatalog) as ErrorCode[]),
  error: Type.String(),
  message: Type.String(),
});

/**
 * A route's responses: its success schema and the error body under each status its codes can
 * answer with (from the catalog), so the generated document lists what a client must handle.
 */
export function responses<S extends TSchema>(success: S, codes: readonly ErrorCode[], status = 200) {
  const errors: Record<number, typeof ErrorBody> = {};
  for (const code of [...codes, 'VALIDATION_FAILED', 'RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL'] as const) {
    errors[errorCatalog[code].status] = ErrorBody;
  }
  return { ...errors, [status]: success } as Record<number, TSchema> & { [K in typeof status]: S };
}

/** The API document's name for the agents' bearer tokens (plugins/api-docs.ts declares it). */
export const BEARER_SCHEME = 'bearerAuth';
/**
 * In the schema of every route behind `requireAgent`: the document's bearer requirement. The hook
 * itself is invisible to the generator (plugin-level hooks are not in the route's options).
 */
export const AGENT_SECURITY = [{ [BEARER_SCHEME]: [] }];

/** The codes an agent-authenticated route can answer with before its handler runs. */
export const AGENT_AUTH_CODES = ['AUTH_REQUIRED', 'AUTH_INVALID', 'TOKEN_EXPIRED'] as const satisfies readonly ErrorCode[];

// ---- schemas and protocol interfaces say the same thing (a compile error otherwise) --------------

export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const agree = <T extends true>(value: T) => value;
agree<Same<Static<typeof MessageView>, protocol.MessageView>>(true);
agree<Same<Static<typeof ConversationView>, protocol.ConversationView>>(true);
agree<Same<Static<typeof AgentView>, protocol.AgentView>>(true);
agree<Same<Static<typeof SiteView>, protocol.SiteView>>(true);
agree<Same<Static<typeof CannedResponseView>, protocol.CannedResponseView>>(true);
agree<Same<Static<typeof MeResponse>, protocol.MeResponse>>(true);
agree<Same<Static<typeof LoginResponse>, protocol.LoginResponse>>(true);
agree<Same<Static<typeof WidgetSessionResponse>, protocol.WidgetSessionResponse>>(true);
agree<Same<Static<typeof MessagePage>, protocol.MessagePage>>(true);
agree<Same<Static<typeof NoteView>, protocol.NoteView>>(true);
agree<Same<Static<typeof ConversationListResponse>, protocol.ConversationListResponse>>(true);
agree<Same<Static<typeof VisitorView>, protocol.VisitorView>>(true);
agree<Same<Static<typeof ConversationListView>, protocol.ConversationListView>>(true);
