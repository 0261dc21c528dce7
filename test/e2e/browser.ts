// Debian's Chromium driven by playwright-core. Never a browser download: if /usr/bin/chromium is
// missing, the test fails and says how to install it (.ci/run does).
import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type TestServer } from '../helpers.ts';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: run "apt-get update && apt-get install -y chromium" (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A new page signed in to the console (at `serverUrl`), on the inbox, collecting the page's errors. */
export async function signInToConsole(browser: Browser, serverUrl: string, email: string, password: string,
  context: BrowserContextOptions = {}): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await (await browser.newContext(context)).newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${serverUrl}/console/`);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('view-all').waitFor();
  return { page, pageErrors };
}

/**
 * A server and Chromium for one describe block's tests: started before them, handed to `use`,
 * closed after them.
 */
export function withServerAndBrowser(use: (server: TestServer, browser: Browser) => void,
  options: Parameters<typeof startServer>[0] = {}): void {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startServer(options);
    browser = await launchBrowser();
    use(server, browser);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
}
