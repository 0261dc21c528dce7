// The folders say which way dependencies point; this keeps them honest where the compiler cannot.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sourcesUnder(folder: string): string[] {
  const dir = join(root, folder);
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourcesUnder(relative(root, path));
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Every module a file imports: package names as written, local paths resolved from the repo root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map(([, spec]) =>
    spec!.startsWith('.') ? relative(root, resolve(dirname(file), spec!)) : spec!);
}

describe('dependencies point one way', () => {
  it('keeps the database out of routes and plugins: they call services', () => {
    for (const file of [...sourcesUnder('server/routes'), ...sourcesUnder('server/plugins')]) {
      for (const spec of importsOf(file)) {
        expect(spec.startsWith('db/') || spec.startsWith('drizzle-orm'), `${relative(root, file)} imports ${spec}`).toBe(false);
      }
    }
  });

  it('keeps the protocol a leaf: it imports nothing outside protocol/', () => {
    for (const file of sourcesUnder('protocol')) {
      for (const spec of importsOf(file)) expect(spec.startsWith('protocol/'), `${relative(root, file)} imports ${spec}`).toBe(true);
    }
  });

  it('keeps the client core free of server code, packages and globals it does not inject', () => {
    for (const file of sourcesUnder('client')) {
      for (const spec of importsOf(file)) {
        expect(spec.startsWith('protocol/') || spec.startsWith('client/'), `${relative(root, file)} imports ${spec}`).toBe(true);
      }
    }
  });
});
