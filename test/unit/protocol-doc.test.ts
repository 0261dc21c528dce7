// docs/protocol.md is what integrators read: it must name every code the server can answer with.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEAD_AFTER_IDLE_MS, PING_AFTER_IDLE_MS, errorCatalog, type ErrorEntry } from '../../protocol/index.ts';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

describe('docs/protocol.md', () => {
  it('has a row for every error code with its status, close code and temporariness', () => {
    for (const [code, entry] of Object.entries(errorCatalog as Record<string, ErrorEntry>)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      const [, , status, close, temporary] = row!.split('|').map((cell) => cell.trim());
      expect(Number(status), code).toBe(entry.status);
      expect(close === '' ? undefined : Number(close), code).toBe(entry.close);
      expect(temporary!.startsWith(entry.temporary ? 'yes' : 'no'), code).toBe(true);
    }
  });

  it('states the liveness intervals the clients use', () => {
    expect(doc).toContain(`${PING_AFTER_IDLE_MS / 1000} s without any frame`);
    expect(doc).toContain(`${DEAD_AFTER_IDLE_MS / 1000} s without any`);
  });
});
