// Builds the two browser bundles with esbuild: dist/widget.js (the embed) and dist/console/.
// `npm start` calls ensureBundles() so a fresh clone needs no separate build step.
import { build, type BuildOptions } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const distDir = join(root, 'dist');

/** Gzipped size budgets, in bytes. The build fails when a bundle grows past its budget. */
export const BUDGETS = { widget: 20 * 1024, console: 60 * 1024 } as const;

const common: BuildOptions = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

export async function buildBundles(): Promise<{ widget: number; console: number }> {
  mkdirSync(join(distDir, 'console'), { recursive: true });
  await Promise.all([
    build({ ...common, entryPoints: [join(root, 'widget/index.tsx')], outfile: join(distDir, 'widget.js') }),
    build({ ...common, entryPoints: [join(root, 'console/index.tsx')], outfile: join(distDir, 'console/app.js') }),
  ]);
  copyFileSync(join(root, 'console/index.html'), join(distDir, 'console/index.html'));
  const sizes = { widget: gzippedSize(join(distDir, 'widget.js')), console: consoleInitialLoad() };
  for (const name of ['widget', 'console'] as const) {
    if (sizes[name] > BUDGETS[name]) {
      throw new Error(`${name} bundle is ${sizes[name]} B gzipped, over its budget of ${BUDGETS[name]} B`);
    }
  }
  return sizes;
}

export function gzippedSize(file: string): number {
  return gzipSync(readFileSync(file), { level: 9 }).length;
}

/** What a browser downloads to show the console: the HTML page and its script. */
export function consoleInitialLoad(): number {
  return gzippedSize(join(distDir, 'console/index.html')) + gzippedSize(join(distDir, 'console/app.js'));
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds only when a bundle is missing or older than its sources (or the protocol and client core they share). */
export async function ensureBundles(): Promise<void> {
  const outputs = [join(distDir, 'widget.js'), join(distDir, 'console/app.js'), join(distDir, 'console/index.html')];
  if (outputs.every(existsSync)) {
    const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
    const sources = Math.max(...['widget', 'console', 'protocol', 'client'].map((dir) => newestMtime(join(root, dir))));
    if (built >= sources) return;
  }
  await buildBundles();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = await buildBundles();
  console.log(`widget.js ${sizes.widget} B gzipped (budget ${BUDGETS.widget}), ` +
    `console initial load ${sizes.console} B gzipped (budget ${BUDGETS.console})`);
}
