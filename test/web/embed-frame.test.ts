import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import {
  clickLauncher,
  type EmbedHarness,
  focusOnLauncher,
  launcher,
  startEmbedHarness,
  widgetFrame,
} from './embed-harness.js';

let harness: EmbedHarness;

beforeAll(async () => {
  harness = await startEmbedHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

const EVIL = 'http://evil.test';

/** A page on another site that `window.open` can reach (Playwright answers for it: no server needed). */
async function serveEvil(page: Page, script: string): Promise<void> {
  await page.context().route(`${EVIL}/**`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><title>evil</title><script>${script}</script>`,
    }),
  );
}

/** Requests the page and its frames made to a path of the chat API. */
function requestsTo(page: Page, pathPart: string): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith(pathPart)) seen.push(request.url());
  });
  return seen;
}

describe('embed.js on the demo host (another origin)', () => {
  it('adds a labelled launcher whose frame loads the widget closed, out of reach of the page’s CSS', async () => {
    const { page, context } = await harness.open(`${harness.demo.url}/`);
    const frame = await widgetFrame(page);
    expect(new URL(frame.url()).origin).toBe(harness.baseUrl);
    expect(new URL(frame.url()).searchParams.get('host')).toBe(harness.demo.url);
    const cdp = await context.newCDPSession(page);
    expect(await launcher(cdp)).toEqual({ name: 'Chat with us', expanded: false });
    const element = await frame.frameElement();
    // The demo's own CSS says `iframe { display: none; border: 10px solid red }`: it cannot reach the frame.
    const style = await element.evaluate((el) => {
      const s = getComputedStyle(el as Element);
      return { display: s.display, border: s.borderTopWidth, visibility: s.visibility };
    });
    expect(style).toEqual({ display: 'block', border: '0px', visibility: 'hidden' });
    // The page cannot reach into the shadow root, nor the frame through window.frames.
    expect(
      await page.evaluate(() => {
        const host = document.querySelector('[data-live-chat]');
        return [host?.shadowRoot ?? null, window.frames.length, document.querySelectorAll('iframe').length];
      }),
    ).toEqual([null, 0, 0]);
    // Nor can the frame read the page: it is another origin.
    expect(
      await frame.evaluate(() => {
        try {
          return window.parent.document.title;
        } catch (error) {
          return (error as Error).name;
        }
      }),
    ).toBe('SecurityError');
  });

  it('moves focus into the chat when it opens and back to the launcher when it closes', async () => {
    const { page, context } = await harness.open(`${harness.demo.url}/`);
    const frame = await widgetFrame(page);
    const cdp = await context.newCDPSession(page);
    await clickLauncher(page);
    await expect.poll(() => launcher(cdp)).toEqual({ name: 'Chat with us', expanded: true });
    const element = await frame.frameElement();
    await expect
      .poll(() => element.evaluate((el) => getComputedStyle(el as Element).visibility))
      .toBe('visible');
    await expect.poll(() => frame.evaluate(() => document.hasFocus())).toBe(true);
    await expect
      .poll(() => frame.evaluate(() => document.activeElement?.tagName ?? ''))
      .toMatch(/^(TEXTAREA|INPUT|SELECT|BUTTON)$/);
    await expectAccessible(frame, 'embedded widget, opened by the launcher');
    await page.keyboard.press('Escape');
    await expect.poll(() => launcher(cdp)).toEqual({ name: 'Chat with us', expanded: false });
    expect(await focusOnLauncher(page)).toBe(true);
    expect(await element.evaluate((el) => getComputedStyle(el as Element).visibility)).toBe('hidden');
    // The host API does the same.
    await page.evaluate(() => (window.LiveChat as { open(): void }).open());
    await expect.poll(() => launcher(cdp)).toEqual({ name: 'Chat with us', expanded: true });
    await frame.getByRole('button', { name: 'Close chat' }).click();
    await expect.poll(() => launcher(cdp)).toEqual({ name: 'Chat with us', expanded: false });
    expect(await focusOnLauncher(page)).toBe(true);
  });

  it('creates no session on a page view: only when the visitor opens the chat', async () => {
    const { page } = await harness.open('about:blank');
    const sessions = requestsTo(page, '/api/chat/guest-sessions');
    await page.goto(`${harness.demo.url}/`);
    await widgetFrame(page);
    await page.waitForTimeout(500);
    expect(sessions).toEqual([]);
    await clickLauncher(page);
    await expect.poll(() => sessions.length).toBe(1);
  });

  it('takes its settings from window.LiveChatSettings: corner, label, open on load', async () => {
    const { page, context } = await harness.open(
      `${harness.demo.url}/?position=bottom-left&label=${encodeURIComponent('Ask us </script>')}&open=1`,
    );
    const frame = await widgetFrame(page);
    const cdp = await context.newCDPSession(page);
    await expect.poll(() => launcher(cdp, 'Ask us')).toEqual({ name: 'Ask us </script>', expanded: true });
    const box = await (await frame.frameElement()).boundingBox();
    expect(box?.x).toBe(20);
    expect(
      await (await frame.frameElement()).evaluate((el) => getComputedStyle(el as Element).visibility),
    ).toBe('visible');
  });

  it('runs calls queued before embed.js loaded, once it has', async () => {
    const { page } = await harness.open('about:blank');
    // Hold embed.js back until the page has queued a call.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/embed.js', async (route) => {
      await held;
      await route.continue();
    });
    // The load event waits for async scripts: go on as soon as the page's own snippet has run.
    await page.goto(`${harness.demo.url}/`, { waitUntil: 'domcontentloaded' });
    await page.evaluate(() => (window.LiveChat as unknown as (...a: unknown[]) => void)('open'));
    expect(await page.evaluate(() => typeof (window.LiveChat as { open?: unknown }).open)).toBe('undefined');
    release();
    const frame = await widgetFrame(page);
    const element = await frame.frameElement();
    await expect
      .poll(() => element.evaluate((el) => getComputedStyle(el as Element).visibility))
      .toBe('visible');
  });
});

describe('who may frame the widget, and whom each side listens to', () => {
  it('a page on an origin that is not allowed cannot frame it: Chromium refuses by CSP', async () => {
    const { page } = await harness.open('about:blank');
    const refused: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('frame-ancestors')) refused.push(message.text());
    });
    await page.goto(`${harness.strangerUrl}/`);
    await expect.poll(() => refused.length).toBeGreaterThan(0);
    // The frame shows Chromium's error page, not the widget.
    const frames = page.frames().filter((frame) => frame !== page.mainFrame());
    expect(frames.map((frame) => frame.url())).toEqual(['chrome-error://chromewebdata/']);
    expect(await frames[0]?.locator('#app').count()).toBe(0);
    // embed.js tells the site owner, and what waits for the chat fails instead of hanging.
    const identify = await page.evaluate(() =>
      (window.LiveChat as { identify(t: string): Promise<unknown> }).identify('a.b.c').then(
        () => 'accepted',
        (error: Error) => error.message,
      ),
    );
    expect(identify).toBe(
      `live chat: the chat did not start on ${harness.strangerUrl}; is it in the stack's embedOrigins?`,
    );
  }, 30_000);

  it('refuses to start when ?host= is not the page that frames it, or when it is not framed at all', async () => {
    const { page } = await harness.open(`${harness.demo.url}/`);
    // An allowed parent that claims to be another site: the frame checks location.ancestorOrigins.
    await page.evaluate((chat) => {
      const frame = document.createElement('iframe');
      frame.src = `${chat}/widget.html?embed=1&host=${encodeURIComponent('https://shop.example')}`;
      document.body.append(frame);
    }, harness.baseUrl);
    await expect.poll(() => page.frames().some((f) => f.url().includes('shop.example'))).toBe(true);
    const lying = page.frames().find((f) => f.url().includes('shop.example'));
    await lying?.getByTestId('embed-refused').waitFor();
    expect(await lying?.getByTestId('embed-refused').textContent()).toBe('This site may not show the chat');

    const { page: top } = await harness.open(
      `/widget.html?embed=1&host=${encodeURIComponent(harness.demo.url)}`,
    );
    await top.getByTestId('embed-refused').waitFor();
    expect(await top.getByTestId('embed-refused').textContent()).toBe('The chat is not inside a page');
  });

  it('the widget ignores a message from any window but its parent on the allowed origin', async () => {
    const { page } = await harness.open(`${harness.demo.url}/`);
    const sessions = requestsTo(page, '/api/chat/guest-sessions');
    // A plain frame (not in a shadow root), so that another window can reach it as opener.frames[0].
    await page.evaluate(
      ({ chat, host }) => {
        const frame = document.createElement('iframe');
        frame.id = 'plain';
        frame.src = `${chat}/widget.html?embed=1&host=${encodeURIComponent(host)}`;
        document.body.prepend(frame);
      },
      { chat: harness.baseUrl, host: harness.demo.url },
    );
    await expect.poll(() => page.frames().length).toBe(3);
    const plain = page
      .frames()
      .find((f) => f.parentFrame() === page.mainFrame() && f.name() === '' && f !== page.frames()[1]);
    expect(plain).toBeDefined();
    await page.waitForTimeout(300);
    // Another site's window posts the very message that would open the chat (and start a session).
    await serveEvil(
      page,
      `opener.frames[0].postMessage({ channel: 'live-chat', type: 'visibility', open: true, pageUrl: 'https://evil.test/' }, '*');
       opener.frames[0].postMessage({ channel: 'live-chat', type: 'identify', identityToken: 'x.y.z' }, '*');
       document.title = 'posted';`,
    );
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      page.evaluate((evil) => void window.open(`${evil}/post.html`), EVIL),
    ]);
    await expect.poll(() => popup.title()).toBe('posted');
    await page.waitForTimeout(500);
    expect(sessions).toEqual([]);
    // The same message from the parent, on its own origin, is taken.
    await page.evaluate((chat) => {
      const frame = document.getElementById('plain') as HTMLIFrameElement;
      frame.contentWindow?.postMessage(
        { channel: 'live-chat', type: 'visibility', open: true, pageUrl: location.href },
        chat,
      );
    }, harness.baseUrl);
    await expect.poll(() => sessions.length).toBeGreaterThanOrEqual(1);
  });

  it('embed.js ignores a message that does not come from its own frame on the chat origin', async () => {
    const { page } = await harness.open(`${harness.demo.url}/`);
    await widgetFrame(page);
    await page.evaluate(() => {
      (window as unknown as { unread: unknown[] }).unread = [];
      (window.LiveChat as { on(e: string, cb: (d: unknown) => void): void }).on('unread', (count) =>
        (window as unknown as { unread: unknown[] }).unread.push(count),
      );
    });
    const forged =
      "opener.postMessage({ channel: 'live-chat', type: 'unread', count: 42 }, '*'); document.title = 'posted';";
    // From another site, and from the chat site itself but another window than the widget's frame.
    await serveEvil(page, forged);
    await page
      .context()
      .route(`${harness.baseUrl}/forged.html`, (route) =>
        route.fulfill({ contentType: 'text/html', body: `<!doctype html><script>${forged}</script>` }),
      );
    for (const url of [`${EVIL}/post.html`, `${harness.baseUrl}/forged.html`]) {
      const [popup] = await Promise.all([
        page.waitForEvent('popup'),
        page.evaluate((target) => void window.open(target), url),
      ]);
      await expect.poll(() => popup.title()).toBe('posted');
    }
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { unread: unknown[] }).unread)).toEqual([]);
    expect(await page.locator('#unread').textContent()).toBe('0');
  });
});
