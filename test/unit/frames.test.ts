import { describe, expect, it } from 'vitest';
import { parseClientFrame } from '../../server/realtime/frames.ts';

describe('client frame validation', () => {
  it('accepts each valid frame type', () => {
    const id = '0633f76c-5a22-4e0f-b7ff-e9e3ff88921d';
    for (const frame of [
      { type: 'auth', token: 't' },
      { type: 'message.send', clientId: 'c', body: 'hi' },
      { type: 'message.send', conversationId: id, clientId: 'c', body: 'hi' },
      { type: 'typing', conversationId: id, typing: false },
      { type: 'presence.set', availability: 'away' },
      { type: 'sync', conversationId: id, afterSeq: 12 },
    ]) expect(parseClientFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
  });

  it('refuses extra keys, wrong types and prototype tricks', () => {
    expect(parseClientFrame('{"type":"typing","conversationId":"x","typing":"yes"}')).toMatchObject({ ok: false, code: 'BAD_FRAME' });
    expect(parseClientFrame('{"type":"auth","token":"t","extra":1}')).toMatchObject({ ok: false, code: 'BAD_FRAME' });
    expect(parseClientFrame('{"type":"constructor"}')).toMatchObject({ ok: false, code: 'UNKNOWN_TYPE' });
    expect(parseClientFrame('{"type":"__proto__"}')).toMatchObject({ ok: false, code: 'UNKNOWN_TYPE' });
    expect(parseClientFrame('{"type":"sync","conversationId":"0633f76c-5a22-4e0f-b7ff-e9e3ff88921d","afterSeq":-1}')).toMatchObject({ ok: false, code: 'BAD_FRAME' });
    expect(parseClientFrame('null')).toMatchObject({ ok: false, code: 'BAD_FRAME' });
  });

});
