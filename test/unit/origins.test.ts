import { describe, expect, it } from 'vitest';
import {
  MAX_ALLOWED_ORIGINS, OriginListError, normaliseAllowedOrigin, normaliseAllowedOrigins, originMatches,
} from '../../server/services/origins.ts';

const refusal = (origin: string) => {
  try {
    normaliseAllowedOrigin(origin);
  } catch (error) {
    if (error instanceof OriginListError) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('allowed origins as owners type them', () => {
  it('keeps scheme://host[:port] in lower case, without a lone trailing slash', () => {
    expect(normaliseAllowedOrigin('https://Shop.Example.com')).toBe('https://shop.example.com');
    expect(normaliseAllowedOrigin(' http://localhost:3000/ ')).toBe('http://localhost:3000');
    expect(normaliseAllowedOrigin('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(normaliseAllowedOrigin('http://[::1]:8080')).toBe('http://[::1]:8080');
    expect(normaliseAllowedOrigin('https://xn--bcher-kva.example')).toBe('https://xn--bcher-kva.example');
  });

  it('accepts a wildcard first label with https only', () => {
    expect(normaliseAllowedOrigin('https://*.Example.com')).toBe('https://*.example.com');
    expect(refusal('http://*.example.com')).toMatch(/"http:\/\/\*\.example\.com".*only allowed with https/);
  });

  it('refuses, naming the origin and why: paths, queries, fragments, user info, other schemes, stray wildcards', () => {
    expect(refusal('https://shop.example.com/checkout')).toMatch(/"https:\/\/shop\.example\.com\/checkout".*path/);
    expect(refusal('https://shop.example.com//')).toMatch(/path/);
    expect(refusal('https://shop.example.com?x=1')).toMatch(/query/);
    expect(refusal('https://shop.example.com#top')).toMatch(/fragment/);
    expect(refusal('https://user:pw@shop.example.com')).toMatch(/user name or password/);
    expect(refusal('ftp://shop.example.com')).toMatch(/only http and https/);
    expect(refusal('shop.example.com')).toMatch(/must look like https:\/\/example\.com/);
    expect(refusal('https://shop.*.example.com')).toMatch(/wildcard/);
    expect(refusal('https://*')).toMatch(/wildcard|host/);
    expect(refusal('https://*.com')).toMatch(/at least two labels/);
    expect(refusal('https://*example.com')).toMatch(/wildcard/);
    expect(refusal('https://shop.example.com:99999')).toMatch(/port/);
    expect(refusal('https://shop.example.com:')).toMatch(/port/);
    expect(refusal('https://')).toMatch(/host/);
    expect(refusal('https://sh op.example.com')).toMatch(/host name/);
  });

  it('removes duplicates after normalising, keeping the given order', () => {
    expect(normaliseAllowedOrigins(['https://b.example', 'https://A.example/', 'https://b.example', 'https://a.example']))
      .toEqual(['https://b.example', 'https://a.example']);
  });

  it(`refuses more than ${MAX_ALLOWED_ORIGINS} distinct origins`, () => {
    const many = Array.from({ length: MAX_ALLOWED_ORIGINS + 1 }, (_, i) => `https://shop${i}.example.com`);
    expect(() => normaliseAllowedOrigins(many)).toThrow(/at most 50/);
    expect(normaliseAllowedOrigins(many.slice(1).concat(many.slice(1)))).toHaveLength(MAX_ALLOWED_ORIGINS);
  });
});

describe('matching a request\'s Origin', () => {
  it('matches exact entries as browsers send origins', () => {
    expect(originMatches('https://shop.example.com', 'https://shop.example.com')).toBe(true);
    expect(originMatches('https://shop.example.com', 'HTTPS://SHOP.EXAMPLE.COM')).toBe(true);
    expect(originMatches('https://shop.example.com', 'http://shop.example.com')).toBe(false);
    expect(originMatches('https://shop.example.com', 'https://shop.example.com:8443')).toBe(false);
  });

  it('matches a wildcard against subdomains only: not the apex, not a look-alike, not http, not another port', () => {
    const entry = 'https://*.example.com';
    expect(originMatches(entry, 'https://shop.example.com')).toBe(true);
    expect(originMatches(entry, 'https://eu.shop.example.com')).toBe(true);
    expect(originMatches(entry, 'https://example.com')).toBe(false);
    expect(originMatches(entry, 'https://evil-example.com')).toBe(false);
    expect(originMatches(entry, 'https://shop.example.com.evil.net')).toBe(false);
    expect(originMatches(entry, 'http://shop.example.com')).toBe(false);
    expect(originMatches(entry, 'https://shop.example.com:8443')).toBe(false);
    expect(originMatches(entry, 'https://.example.com')).toBe(false);
    expect(originMatches(entry, 'https://a..example.com')).toBe(false);
    expect(originMatches('https://*.example.com:8443', 'https://shop.example.com:8443')).toBe(true);
  });
});
