import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { newWebhookSecret, signatureHeader } from '../../server/services/webhooks/signature.ts';
import { verify } from '../../examples/webhook-receiver/server.mjs';

const body = JSON.stringify({ id: 'e1', type: 'message.created', data: { body: 'héllo' } });

describe('Parley-Signature', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const expected = createHmac('sha256', 'whsec_k').update(`1700000000.${body}`).digest('hex');
    expect(signatureHeader('whsec_k', body, 1_700_000_000)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('is accepted by the example receiver within five minutes, as string or raw bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[\w-]{32}$/);
    const header = signatureHeader(secret, body, 1_700_000_000);
    expect(verify(secret, body, header, 1_700_000_000 + 299)).toEqual({ ok: true });
    expect(verify(secret, Buffer.from(body), header, 1_700_000_000 - 299)).toEqual({ ok: true });
  });

  it('is refused when stale, from another secret, for another body or malformed', () => {
    const header = signatureHeader('whsec_a', body, 1_700_000_000);
    expect(verify('whsec_a', body, header, 1_700_000_000 + 301)).toEqual({ ok: false, reason: 'timestamp outside the tolerance' });
    expect(verify('whsec_b', body, header, 1_700_000_000)).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(verify('whsec_a', `${body} `, header, 1_700_000_000)).toEqual({ ok: false, reason: 'signature mismatch' });
    // The timestamp is signed: moving it forward breaks the signature.
    expect(verify('whsec_a', body, header.replace('t=1700000000', 't=1700000100'), 1_700_000_100)).toEqual({ ok: false, reason: 'signature mismatch' });
    for (const bad of [undefined, '', 't=1700000000', 'v1=abc', `t=soon,v1=${'0'.repeat(64)}`, `t=1700000000,v1=${'0'.repeat(63)}`]) {
      expect(verify('whsec_a', body, bad, 1_700_000_000)).toEqual({ ok: false, reason: 'malformed signature header' });
    }
  });
});
