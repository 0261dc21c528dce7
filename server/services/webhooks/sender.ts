// One HTTP attempt at a webhook endpoint: POST the signed body, wait at most the timeout, keep the
// status and the first KiB of the answer. Redirects are not followed (they could point inward).
import http from 'node:http';
import https from 'node:https';
import { checkLiteralHost, guardedLookup } from './address-guard.ts';
import { signatureHeader } from './signature.ts';

/** The most of a response (or of an error) an attempt keeps. */
export const EXCERPT_BYTES = 1024;

export interface AttemptResult {
  /** null when no response came (refused, timed out, DNS, address not allowed). */
  statusCode: number | null;
  latencyMs: number;
  excerpt: string;
}

export interface Outgoing { url: string; secret: string; eventId: string; eventType: string; payload: string }

/** At most EXCERPT_BYTES of UTF-8, never ending inside a character. */
export function excerptOf(bytes: Buffer): string {
  let text = bytes.subarray(0, EXCERPT_BYTES).toString('utf8');
  while (Buffer.byteLength(text) > EXCERPT_BYTES) text = text.slice(0, -1);
  // A character cut at the end decodes as U+FFFD: drop it rather than show a broken one.
  return bytes.length > EXCERPT_BYTES ? text.replace(/\uFFFD$/, '') : text;
}

export function sendWebhook(outgoing: Outgoing, options: { timeoutMs: number; allowPrivate: boolean }): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: Omit<AttemptResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, latencyMs: elapsed() });
    };
    const failed = (error: unknown) => finish({ statusCode: null, excerpt: excerptOf(Buffer.from(error instanceof Error ? error.message : String(error))) });
    let url: URL;
    try {
      url = new URL(outgoing.url);
      checkLiteralHost(url.hostname, options.allowPrivate);
    } catch (error) {
      failed(error);
      return;
    }
    const body = Buffer.from(outgoing.payload);
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      lookup: guardedLookup(options.allowPrivate),
      // A fresh connection per attempt: a pooled socket would skip the address check above.
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        'user-agent': 'Parley-Webhooks/1',
        'parley-event-id': outgoing.eventId,
        'parley-event-type': outgoing.eventType,
        'parley-signature': signatureHeader(outgoing.secret, outgoing.payload, Math.floor(Date.now() / 1000)),
      },
    }, (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      const done = () => {
        finish({ statusCode: response.statusCode ?? null, excerpt: excerptOf(Buffer.concat(chunks)) });
        response.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        if (kept <= EXCERPT_BYTES) { chunks.push(chunk); kept += chunk.length; }
        // Enough to show; the rest of a large answer is not waited for.
        if (kept > EXCERPT_BYTES) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    timer = setTimeout(() => {
      failed(new Error(`No response within ${options.timeoutMs} ms`));
      request.destroy();
    }, options.timeoutMs);
    request.on('error', failed);
    request.end(body);
  });
}
