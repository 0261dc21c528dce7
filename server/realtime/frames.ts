// Validation of client frames against the protocol. Every frame is checked before it reaches a
// service: bad JSON, unknown types, missing or extra fields (which also catches `__proto__` keys)
// become an error code, never an exception.
import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { MAX_MESSAGE_LENGTH, type ClientFrame, type ClientFrameType, type ErrorCode } from '../../protocol/index.ts';

const Uuid = Type.String({ format: 'uuid' });
const strict = { additionalProperties: false } as const;

const schemas: Record<ClientFrameType, TSchema> = {
  auth: Type.Object({ type: Type.Literal('auth'), token: Type.String({ minLength: 1, maxLength: 4096 }) }, strict),
  'message.send': Type.Object({
    type: Type.Literal('message.send'),
    conversationId: Type.Optional(Uuid),
    clientId: Type.String({ minLength: 1, maxLength: 64 }),
    // Length is enforced by the service (it trims first); this bound only stops absurd frames early.
    body: Type.String({ maxLength: MAX_MESSAGE_LENGTH * 2 }),
  }, strict),
  typing: Type.Object({ type: Type.Literal('typing'), conversationId: Uuid, typing: Type.Boolean() }, strict),
  'presence.set': Type.Object({
    type: Type.Literal('presence.set'),
    availability: Type.Union([Type.Literal('online'), Type.Literal('away')]),
  }, strict),
  ping: Type.Object({ type: Type.Literal('ping') }, strict),
  sync: Type.Object({
    type: Type.Literal('sync'),
    conversationId: Uuid,
    afterSeq: Type.Integer({ minimum: 0, maximum: 2_147_483_647 }),
  }, strict),
};

const validators = new Map(Object.entries(schemas).map(([type, schema]) => [type, Compile(schema)]));

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; message: string };

export function parseClientFrame(raw: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'BAD_FRAME', message: 'Frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'BAD_FRAME', message: 'Frame must be a JSON object' };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return { ok: false, code: 'BAD_FRAME', message: 'Frame has no type' };
  const validator = validators.get(type);
  if (!validator) return { ok: false, code: 'UNKNOWN_TYPE', message: `Unknown frame type "${type.slice(0, 40)}"` };
  if (!validator.Check(value)) {
    const [first] = validator.Errors(value);
    const where = first?.instancePath || '/';
    return { ok: false, code: 'BAD_FRAME', message: `Invalid ${type} frame at ${where}: ${first?.message ?? 'invalid'}` };
  }
  return { ok: true, frame: value as ClientFrame };
}
