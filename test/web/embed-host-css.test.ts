import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickLauncher, type EmbedHarness, launcher, startEmbedHarness } from './embed-harness.js';

let harness: EmbedHarness;

beforeAll(async () => {
  harness = await startEmbedHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/**
 * The demo shop (the allowed host) with some CSS of its own added, as real sites have: a reset, a framework's
 * body transform, a containment hint, a cookie banner. The page is made long, as a shop's pages are.
 */
async function hostWith(css: string) {
  // bypassCSP only so that the test can add a <style> to the demo page (its CSP allows no inline style).
  const context = await harness.browser.newContext({
    bypassCSP: true,
    viewport: { width: 1100, height: 720 },
  });
  const page = await context.newPage();
  await page.goto(`${harness.demo.url}/`);
  await page.addStyleTag({ content: `body::before { content: ""; display: block; height: 3000px } ${css}` });
  await page.waitForFunction(() => document.querySelector('[data-live-chat]') !== null);
  const cdp = await context.newCDPSession(page);
  await expect.poll(() => launcher(cdp)).toBeDefined();
  return { page, cdp };
}

describe('the launcher against the host page’s CSS', () => {
  it.each([
    ['nothing (control)', 'p { color: red }'],
    ['a reset that turns pointer events off for every div', 'div { pointer-events: none }'],
    [
      'a transform on body (a long page): fixed becomes relative to the body',
      'body { transform: translateZ(0) }',
    ],
    ['a filter on html', 'html { filter: saturate(1) }'],
    ['containment on every div', 'div { contain: strict }'],
    ['a clip-path on every div', 'div { clip-path: inset(50%) }'],
    [
      'a higher z-index on a cookie banner',
      '.x{} body::after { content: ""; position: fixed; inset: auto 0 0 0; height: 120px; z-index: 2147483647; background: #eee }',
    ],
  ])('stays visible and clickable at its corner despite %s', async (_what, css) => {
    const { page, cdp } = await hostWith(css);
    await clickLauncher(page);
    await expect.poll(async () => (await launcher(cdp))?.expanded, { timeout: 3_000 }).toBe(true);
  });
});
