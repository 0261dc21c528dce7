// The origins a site lets embed its widget: checked and normalised once, when an owner sets them,
// so that the per-request check (originMatches) is a plain comparison. Pure functions, no I/O.

export const MAX_ALLOWED_ORIGINS = 50;

/** What is wrong with each refused origin, in the owner's words: `"ftp://x.com": only http and https`. */
export class OriginListError extends Error {
  constructor(readonly origin: string, readonly reason: string) {
    super(`Allowed origin ${JSON.stringify(origin)}: ${reason}`);
    this.name = 'OriginListError';
  }
}

const SCHEME_AND_REST = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i;
/** One DNS label: letters, digits, hyphens inside (IDNs arrive as punycode, xn--…). */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const IPV6_HOST = /^\[[0-9a-f:.]+\]$/;

/**
 * One origin as the owner typed it → the form browsers send in `Origin` (lower case, no trailing
 * slash, no default port left implicit by us: a port is kept exactly as given). Throws
 * OriginListError naming the origin and what is wrong with it.
 */
export function normaliseAllowedOrigin(input: string): string {
  const origin = input.trim();
  const fail = (reason: string): never => { throw new OriginListError(input, reason); };
  const parts = SCHEME_AND_REST.exec(origin);
  if (!parts) return fail('must look like https://example.com');
  const scheme = parts[1]!.toLowerCase();
  // A lone trailing slash is what people copy from the address bar; anything more is a path.
  let rest = parts[2]!.endsWith('/') && parts[2]!.indexOf('/') === parts[2]!.length - 1 ? parts[2]!.slice(0, -1) : parts[2]!;
  if (scheme !== 'http' && scheme !== 'https') fail('only http and https are allowed');
  if (rest.includes('@')) fail('must not contain a user name or password');
  if (rest.includes('?')) fail('must not contain a query');
  if (rest.includes('#')) fail('must not contain a fragment');
  if (rest.includes('/')) fail('must not contain a path (an origin is scheme://host[:port])');
  rest = rest.toLowerCase();

  let host = rest;
  let port = '';
  const portMatch = /^(.*):(\d*)$/.exec(rest);
  if (portMatch && !(IPV6_HOST.test(rest))) {
    host = portMatch[1]!;
    port = portMatch[2]!;
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) fail('has an invalid port');
  }
  if (!host) fail('has no host');

  let wildcard = false;
  if (host.startsWith('*.')) {
    if (scheme !== 'https') fail('a wildcard is only allowed with https');
    wildcard = true;
    host = host.slice(2);
  }
  if (host.includes('*')) fail('a wildcard is only allowed as the whole first label, as in https://*.example.com');
  if (IPV6_HOST.test(host)) {
    if (wildcard) fail('a wildcard needs a domain name');
  } else {
    const labels = host.split('.');
    if (!labels.every((label) => LABEL.test(label))) fail('has an invalid host name');
    // `*.com` would let every site of a top-level domain embed the widget.
    if (wildcard && labels.length < 2) fail('a wildcard needs a domain of at least two labels, as in https://*.example.com');
  }
  return `${scheme}://${wildcard ? '*.' : ''}${host}${port ? `:${port}` : ''}`;
}

/** The owner's whole list → normalised, without duplicates, in the order given. */
export function normaliseAllowedOrigins(inputs: readonly string[]): string[] {
  const origins = [...new Set(inputs.map(normaliseAllowedOrigin))];
  if (origins.length > MAX_ALLOWED_ORIGINS) {
    throw new OriginListError(origins[MAX_ALLOWED_ORIGINS]!, `at most ${MAX_ALLOWED_ORIGINS} origins are allowed`);
  }
  return origins;
}

/** Origins are compared as browsers send them: scheme://host[:port], lower-case, no trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/**
 * Whether a request's Origin is one an allowed entry names. `https://*.example.com` matches
 * `https://shop.example.com` and deeper subdomains, never the apex nor `https://evil-example.com`,
 * and only on the default port unless the entry names one.
 */
export function originMatches(allowed: string, origin: string): boolean {
  const entry = normalizeOrigin(allowed);
  const wanted = normalizeOrigin(origin);
  if (!entry.startsWith('https://*.')) return entry === wanted;
  const suffix = entry.slice('https://*'.length); // ".example.com" or ".example.com:8443"
  if (!wanted.startsWith('https://') || !wanted.endsWith(suffix)) return false;
  const subdomain = wanted.slice('https://'.length, wanted.length - suffix.length);
  // The part before the suffix must be whole labels: no port, no path, no empty label.
  return subdomain.length > 0 && subdomain.split('.').every((label) => LABEL.test(label));
}
