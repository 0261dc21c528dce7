import { describe, expect, it } from 'vitest';
import { checkLiteralHost, checkWebhookUrl, forbiddenRange, guardedLookup } from '../../server/services/webhooks/address-guard.ts';

describe('webhook address classifier', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.8.9.10', 'loopback'], ['::1', 'loopback'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'], ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'], ['fd00:ec2::254', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['100.64.0.1', 'carrierGradeNat'], ['100.100.100.200', 'carrierGradeNat'],
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:10.0.0.1', 'private'],
    ['224.0.0.1', 'multicast'], ['255.255.255.255', 'broadcast'],
  ])('refuses %s (%s)', (address, range) => {
    expect(forbiddenRange(address)).toBe(range);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(forbiddenRange(address)).toBeNull();
  });

  it('refuses loopback names and non-public literal hosts at creation, unless private addresses are allowed', () => {
    for (const url of ['http://127.0.0.1/hook', 'http://10.0.0.5:6379/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:8080/',
      'https://localhost/hook', 'http://LOCALHOST./', 'http://api.localhost/', 'http://0.0.0.0/', 'http://[::ffff:192.168.0.1]/']) {
      expect(() => checkWebhookUrl(url, false), url).toThrow(expect.objectContaining({ code: 'URL_NOT_ALLOWED' }));
      expect(checkWebhookUrl(url, true)).toBe(new URL(url).toString());
    }
    expect(() => checkWebhookUrl('ftp://example.com/', true)).toThrow(expect.objectContaining({ code: 'URL_NOT_ALLOWED' }));
    expect(() => checkWebhookUrl('not a url', false)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(checkWebhookUrl('https://hooks.example.com/parley', false)).toBe('https://hooks.example.com/parley');
  });

  it('refuses a literal non-public host at delivery', () => {
    expect(() => checkLiteralHost('[::1]', false)).toThrow(/::1 \(loopback\)/);
    expect(() => checkLiteralHost('10.0.0.1', false)).toThrow(/private/);
    expect(() => checkLiteralHost('10.0.0.1', true)).not.toThrow();
    expect(() => checkLiteralHost('hooks.example.com', false)).not.toThrow();
  });

  it('hands the socket no address of a name that resolves inward', async () => {
    const resolve = (allowPrivate: boolean) => new Promise<{ error: Error | null; addresses: unknown }>((done) => {
      guardedLookup(allowPrivate)('localhost', { all: true }, (error, addresses) => done({ error, addresses }));
    });
    const refused = await resolve(false);
    expect(refused.error?.message).toMatch(/localhost resolves to .* \(loopback\)/);
    const allowed = await resolve(true);
    expect(allowed.error).toBeNull();
    expect(allowed.addresses).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) })]));
  });
});
