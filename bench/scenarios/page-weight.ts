// Page weight: what a visitor's browser downloads for the widget, and an agent's for the console's
// first screen, gzipped, measured by the build script's own functions against its own budgets.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUDGETS, buildBundles, consoleInitialLoad, distDir, gzippedSize } from '../../scripts/build.ts';

export interface PageWeightResult {
  widgetGzipBytes: number;
  consoleInitialLoadGzipBytes: number;
  budgets: { widget: number; console: number };
  /** Why the bundles were measured as found in dist/ instead of freshly built, if they were. */
  buildError?: string;
}

export async function runPageWeight(): Promise<PageWeightResult> {
  let buildError: string | undefined;
  try {
    await buildBundles();
  } catch (error) {
    // Over budget (the files are written before the check) or a source mid-edit: measure what is
    // in dist/ and say why, rather than lose the rest of the bench.
    buildError = error instanceof Error ? error.message.split('\n')[0] : String(error);
    if (!existsSync(join(distDir, 'widget.js')) || !existsSync(join(distDir, 'console/app.js'))) throw error;
  }
  return {
    widgetGzipBytes: gzippedSize(join(distDir, 'widget.js')),
    consoleInitialLoadGzipBytes: consoleInitialLoad(),
    budgets: { ...BUDGETS },
    ...(buildError ? { buildError } : {}),
  };
}
