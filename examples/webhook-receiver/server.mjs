// A webhook receiver with no dependencies: `node examples/webhook-receiver/server.mjs`.
// It verifies Parley-Signature before trusting a byte of the body, then logs the event.
//   PARLEY_WEBHOOK_SECRET=whsec_…  the secret shown when the webhook was created (required)
//   PORT=4000                      where to listen
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

/** Requests signed longer ago than this (or this far in the future) are refused as replays. */
export const TOLERANCE_SECONDS = 5 * 60;

/**
 * Whether `header` (Parley-Signature: `t=<unix seconds>,v1=<hex>`) signs `rawBody` with `secret`.
 * Use the raw bytes as received: re-serialised JSON would not match.
 * @returns `{ ok: true }` or `{ ok: false, reason }`
 */
export function verify(secret, rawBody, header, nowSeconds = Math.floor(Date.now() / 1000)) {
  const fields = Object.fromEntries(String(header ?? '').split(',').map((part) => {
    const at = part.indexOf('=');
    return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  }));
  const t = Number(fields.t);
  if (!/^\d+$/.test(fields.t ?? '') || !/^[0-9a-f]{64}$/.test(fields.v1 ?? '')) return { ok: false, reason: 'malformed signature header' };
  if (Math.abs(nowSeconds - t) > TOLERANCE_SECONDS) return { ok: false, reason: 'timestamp outside the tolerance' };
  const expected = createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  const given = Buffer.from(fields.v1, 'hex');
  // Constant time: how much of a guess matched must not show in how long the answer takes.
  if (!timingSafeEqual(expected, given)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

/** The receiver as a request handler, for a server of yours (or the one below). */
export function createReceiver(secret, onEvent = (event) => console.log(`${event.type} ${event.id}`, JSON.stringify(event.data))) {
  return (request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const result = verify(secret, body, request.headers['parley-signature']);
      if (!result.ok) {
        response.writeHead(401, { 'content-type': 'text/plain' }).end(result.reason);
        return;
      }
      // Parley retries until it gets a 2xx: deduplicate on Parley-Event-Id if an event must act once.
      onEvent(JSON.parse(body.toString('utf8')));
      response.writeHead(204).end();
    });
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.PARLEY_WEBHOOK_SECRET;
  if (!secret) {
    console.error('Set PARLEY_WEBHOOK_SECRET to the secret shown when the webhook was created.');
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 4000);
  createServer(createReceiver(secret)).listen(port, () => console.log(`Receiving Parley webhooks on http://localhost:${port}/`));
}
