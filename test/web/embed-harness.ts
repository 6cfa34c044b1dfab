import type { CDPSession, Frame, Page } from 'playwright-core';
import { type DemoHost, startDemoHost } from '../../local/demo-host.js';
import { loadLocalIdentitySecret, signIdentityToken } from '../../local/identity-secret.js';
import { defaultKeyDir } from '../../local/issuer.js';
import type { LocalWebOptions } from '../../local/web.js';
import { signIn, startWebHarness, type WebHarness } from './harness.js';

export interface EmbedHarness extends WebHarness {
  /** The demo shop, `http://localhost:<port>`: an origin the widget allows. */
  readonly demo: DemoHost;
  /** The same shop as `http://127.0.0.1:<port>`: another origin, which the widget does not allow. */
  readonly strangerUrl: string;
}

/** The local stack, the pages and Chromium (./harness.ts), and the demo shop that embeds the widget. */
export async function startEmbedHarness(webOptions: LocalWebOptions = {}): Promise<EmbedHarness> {
  const demo = await startDemoHost({ port: 0 });
  const harness = await startWebHarness({}, { embedOrigins: [demo.url], ...webOptions });
  demo.attach(harness.baseUrl);
  return {
    ...harness,
    demo,
    strangerUrl: `http://127.0.0.1:${demo.port}`,
    async close() {
      await harness.close();
      await demo.close();
    },
  };
}

/** The widget's frame on a host page, once it has loaded the widget. */
export async function widgetFrame(page: Page): Promise<Frame> {
  for (let i = 0; i < 100; i++) {
    const frame = page.frames().find((f) => f.url().includes('/widget.html?embed=1'));
    if (frame) {
      await frame.waitForSelector('.widget, [data-testid="embed-refused"]');
      return frame;
    }
    await page.waitForTimeout(100);
  }
  throw new Error('The widget frame did not load');
}

/**
 * The launcher as assistive technology sees it (it lives in a closed shadow root, out of reach of page
 * scripts and of Playwright's locators): its role, name and expanded state, from Chromium's accessibility tree.
 */
export async function launcher(
  cdp: CDPSession,
  label = 'Chat with us',
): Promise<{ name: string; expanded: boolean } | undefined> {
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
    nodes: {
      role?: { value?: string };
      name?: { value?: string };
      properties?: { name: string; value: { value?: unknown } }[];
    }[];
  };
  const button = nodes.find(
    (node) => node.role?.value === 'button' && (node.name?.value ?? '').startsWith(label),
  );
  if (!button) return undefined;
  const expanded = button.properties?.find((p) => p.name === 'expanded')?.value.value === true;
  return { name: button.name?.value ?? '', expanded };
}

/** Clicks the launcher where it sits (bottom right, 20 px in), as a visitor does. */
export async function clickLauncher(page: Page): Promise<void> {
  const size = page.viewportSize() ?? { width: 1100, height: 720 };
  await page.mouse.click(size.width - 60, size.height - 46);
}

/** Whether focus is inside the launcher's shadow host (the page sees only the host element). */
export function focusOnLauncher(page: Page): Promise<boolean> {
  return page.evaluate(() => document.activeElement?.hasAttribute('data-live-chat') ?? false);
}

/** What the widget keeps in its frame's localStorage (web/widget/guest-session.ts). */
export interface KeptSession {
  readonly token: string;
  readonly user_id: string;
  readonly kind: 'guest' | 'verified';
  readonly expires_at: string;
  readonly refresh_token: string;
}

export function keptSession(frame: Frame): Promise<KeptSession | null> {
  return frame.evaluate(() => {
    const text = localStorage.getItem('live-chat:embed:session');
    return text ? (JSON.parse(text) as KeptSession) : null;
  });
}

/** What the demo shop's backend would sign for one of its users: an identity token with the local secret. */
export async function identityToken(sub: string, name: string): Promise<string> {
  const { current } = await loadLocalIdentitySecret(defaultKeyDir);
  return signIdentityToken(current, { sub, name });
}

/** Someone from support online (a console signed in), so the widget offers the plain "Start chat" form. */
export async function staffOnline(harness: WebHarness): Promise<void> {
  const { page } = await harness.open('/console.html');
  await signIn(page, 'sam', 'staff');
  await page.locator('.empty', { hasText: 'No open rooms' }).waitFor();
}
