import { type Browser, type BrowserContext, chromium, type Frame, type Page } from 'playwright-core';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.js';
import { createLocalWeb, type LocalWeb, type LocalWebOptions } from '../../local/web.js';
import { findChromium } from '../support/chromium.js';

/**
 * Our own flags, not `@sparticuz/chromium`'s: those turn off web security and site isolation, which would
 * hide CSP, CORS and origin bugs from these tests. TOOLCHAIN.md explains the network flags (the closed network
 * makes Chromium stall without them).
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface WebHarness {
  readonly stack: LocalStack;
  readonly web: LocalWeb;
  readonly browser: Browser;
  readonly baseUrl: string;
  /** A fresh browser context (its own storage: one person) with a page on `path`. */
  open(
    path: string,
    options?: { width?: number; height?: number },
  ): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/** The local stack on ephemeral ports with the pages, and Chromium with a fresh profile. */
export async function startWebHarness(
  options: Partial<LocalStackOptions> = {},
  webOptions: LocalWebOptions = {},
): Promise<WebHarness> {
  const web = await createLocalWeb(webOptions);
  const stack = await startLocalStack({ httpPort: 0, wsPort: 0, fallback: web.fallback, ...options });
  web.attach(stack);
  // launch() gives Chromium a fresh, temporary user-data dir of its own, removed on close.
  const browser = await chromium.launch({
    executablePath: findChromium().path,
    args: CHROMIUM_FLAGS,
    timeout: 30_000,
  });
  const contexts: BrowserContext[] = [];
  return {
    stack,
    web,
    browser,
    baseUrl: stack.httpUrl,
    async open(pagePath, size = {}) {
      const context = await browser.newContext({
        baseURL: stack.httpUrl,
        viewport: { width: size.width ?? 1100, height: size.height ?? 720 },
      });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => {
        throw error;
      });
      await page.goto(pagePath);
      return { context, page };
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await stack.stop();
      await web.close();
    },
  };
}

/** Signs in through the local form. */
export async function signIn(page: Page, userId: string, role: 'staff' | 'customer'): Promise<void> {
  await page.getByLabel('User id').fill(userId);
  await page
    .getByRole('radio', { name: role === 'staff' ? 'Support staff' : 'Customer', exact: true })
    .check();
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the page (or the embedded widget's frame) shows `text` in `selector`: a polled locator. */
export async function shows(
  target: Page | Frame,
  selector: string,
  text: string | RegExp,
  timeout = 5_000,
): Promise<void> {
  await target.locator(selector, { hasText: text }).first().waitFor({ state: 'visible', timeout });
}
