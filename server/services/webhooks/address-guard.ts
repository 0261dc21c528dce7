// Server-side request forgery guard. A webhook URL is chosen by a customer, and Parley POSTs to it
// from inside our network: without this, `http://169.254.169.254/` would read the cloud's instance
// credentials and `http://10.0.0.5:6379/` would talk to our Redis. Only public unicast addresses
// pass; the check runs at creation (literal addresses, `localhost`) and again on every address a
// delivery actually connects to, so a name that resolves (or later re-resolves) inward is refused.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../../errors.ts';

/**
 * Why an address may not be called, or null when it is public. ipaddr.js names each range
 * (loopback, private, linkLocal, uniqueLocal, carrierGradeNat, unspecified, reserved, multicast…);
 * only plain `unicast` is public. IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as the IPv4 it is.
 */
export function forbiddenRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? null : range;
}

/** A literal IP written in a URL's host (`[::1]` included), or null for a name. */
function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : null;
}

const LOCAL_NAMES = /(^|\.)(localhost|localhost\.localdomain)\.?$/i;

/**
 * At creation and update: an http(s) URL whose host is not a loopback name or a non-public literal
 * address. Names are resolved later, at delivery, where the answer is what gets connected to.
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'The webhook URL is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('URL_NOT_ALLOWED', 'Webhook URLs must be http or https');
  if (url.username || url.password) throw new AppError('VALIDATION_FAILED', 'Webhook URLs may not carry credentials');
  if (allowPrivate) return url.toString();
  const literal = literalAddress(url.hostname);
  if (LOCAL_NAMES.test(url.hostname) || (literal !== null && forbiddenRange(literal) !== null)) {
    throw new AppError('URL_NOT_ALLOWED');
  }
  return url.toString();
}

export class ForbiddenAddressError extends Error {
  readonly code = 'URL_NOT_ALLOWED';
  constructor(host: string, address: string, range: string) {
    super(`${host} resolves to ${address} (${range}), which webhooks may not reach`);
  }
}

/** Refuses a literal IP host before connecting (Node does not call `lookup` for those). */
export function checkLiteralHost(hostname: string, allowPrivate: boolean): void {
  const literal = literalAddress(hostname);
  if (allowPrivate || literal === null) return;
  const range = forbiddenRange(literal);
  if (range) throw new ForbiddenAddressError(hostname, literal, range);
}

/**
 * A `lookup` for http.request: resolves every address of the name and hands the socket only those
 * that pass, so the address checked is the address connected to (no second resolution a rebinding
 * DNS server could answer differently).
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, []);
      const allowed = allowPrivate ? addresses : addresses.filter((a) => forbiddenRange(a.address) === null);
      const first = allowed[0];
      if (!first) {
        const refused = addresses[0];
        return callback(new ForbiddenAddressError(hostname, refused?.address ?? 'nothing', refused ? forbiddenRange(refused.address) ?? '' : 'no address'), []);
      }
      if (options.all) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}
