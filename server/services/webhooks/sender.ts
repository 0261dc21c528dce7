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

/**
 * Keep-alive connection pools, one per scheme. Safe with the address guard: the guard runs when a
 * connection is made (its `lookup`), and a connection once made stays with the address it checked;
 * a name that later resolves elsewhere (DNS rebinding) only matters for new connections, which are
 * checked again. Reusing connections spares a TCP (and TLS) handshake per delivery.
 */
export class KeepAliveAgents {
  readonly http = new http.Agent({ keepAlive: true, maxSockets: 16, timeout: 30_000 });
  readonly https = new https.Agent({ keepAlive: true, maxSockets: 16, timeout: 30_000 });

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

export function sendWebhook(outgoing: Outgoing, options: { timeoutMs: number; allowPrivate: boolean; agents?: KeepAliveAgents }): Promise<AttemptResult> {
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
    const secure = url.protocol === 'https:';
    const transport = secure ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      // Every new connection resolves through the guard; without pools, each attempt makes one.
      lookup: guardedLookup(options.allowPrivate),
      agent: options.agents ? (secure ? options.agents.https : options.agents.http) : false,
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
      const done = () => finish({ statusCode: response.statusCode ?? null, excerpt: excerptOf(Buffer.concat(chunks)) });
      response.on('data', (chunk: Buffer) => {
        if (kept <= EXCERPT_BYTES) { chunks.push(chunk); kept += chunk.length; }
        if (kept > EXCERPT_BYTES) {
          // Enough to show; the rest of a large answer is not waited for, and its connection is
          // dropped rather than reused. A short answer read to its end leaves the connection pooled.
          done();
          response.destroy();
        }
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
