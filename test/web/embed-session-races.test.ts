import type { Frame, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoHost } from '../../local/demo-host.js';
import {
  clickLauncher,
  type EmbedHarness,
  identityToken,
  keptSession,
  staffOnline,
  widgetFrame,
} from './embed-harness.js';
import { startWebHarness } from './harness.js';

/** test/web/embed-harness.ts's harness, with sockets that API Gateway closes after a few seconds. */
async function startHarness(): Promise<EmbedHarness> {
  const demo = await startDemoHost({ port: 0 });
  const web = await startWebHarness({ wsMaxConnectionAgeMs: 3_000 }, { embedOrigins: [demo.url] });
  demo.attach(web.baseUrl);
  return {
    ...web,
    demo,
    strangerUrl: `http://127.0.0.1:${demo.port}`,
    async close() {
      await web.close();
      await demo.close();
    },
  };
}

let harness: EmbedHarness;

beforeAll(async () => {
  harness = await startHarness();
  // Someone from support is online, so the widget offers the plain "Start chat" form.
  await staffOnline(harness);
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

async function guestInRoom(): Promise<{ host: Page; frame: Frame; guestId: string }> {
  const { page: host } = await harness.open(`${harness.demo.url}/`, { width: 1100, height: 760 });
  const frame = await widgetFrame(host);
  await clickLauncher(host);
  await frame.getByRole('button', { name: 'Start chat' }).waitFor({ timeout: 15_000 });
  await frame.getByLabel('Subject').fill('Race');
  await frame.getByRole('button', { name: 'Start chat' }).click();
  const composer = frame.getByRole('textbox', { name: 'Message' });
  await composer.fill('first, as a guest');
  await composer.press('Enter');
  await frame.locator('.message.mine .bubble', { hasText: 'first, as a guest' }).waitFor();
  const kept = await keptSession(frame);
  expect(kept?.kind).toBe('guest');
  return { host, frame, guestId: kept?.user_id as string };
}

describe('the guest app still on screen while identify finishes', () => {
  it('keeps the verified session when the guest view asks for a token between the exchange and the guest’s revoke', async () => {
    const { host, frame, guestId } = await guestInRoom();
    // Hold the guest's revoke (the last step of identify) so the window between "verified session kept" and
    // "the widget shows it" is wide enough to act in, as a slow network makes it.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await host.context().route('**/api/chat/guest-sessions/revoke', async (route: Route) => {
      await released;
      await route.continue();
    });
    const token = await identityToken('race-ada', 'Ada Race');
    const identified = host.evaluate(
      (t) => (window.LiveChat as { identify(t: string): Promise<unknown> }).identify(t),
      token,
    );
    await expect.poll(async () => (await keptSession(frame))?.kind).toBe('verified');
    // The socket closes (its maximum age) and reconnects: a ws-ticket, so the guest view asks for a token.
    await host.waitForTimeout(5_000);
    release();
    await identified;
    await host.waitForTimeout(2_000);
    const kept = await keptSession(frame);
    // Expected: still Ada, verified. Found: the verified session was forgotten and a new guest started.
    expect(kept?.user_id).toBe('site_race-ada');
    expect(kept?.user_id).not.toBe(guestId);
    await frame.locator('[data-testid="identity"]', { hasText: 'Ada Race' }).waitFor({ timeout: 5_000 });
    await frame
      .locator('.message.mine .bubble', { hasText: 'first, as a guest' })
      .waitFor({ timeout: 5_000 });
  }, 60_000);
});

describe('a sign-out in one tab while another tab’s identify is in flight', () => {
  it('ends with nobody signed in on the device', async () => {
    const { host: first, frame } = await guestInRoom();
    const context = first.context();
    const second = await context.newPage();
    await second.goto(`${harness.demo.url}/`);
    await widgetFrame(second);
    // The first tab's exchange is slow (a slow network); the site signs its user out in the second tab.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await context.route('**/api/chat/guest-sessions', async (route: Route) => {
      if (route.request().postData()?.includes('identity_token')) await released;
      await route.continue();
    });
    const token = await identityToken('race-eve', 'Eve Race');
    const identified = first.evaluate(
      (t) =>
        (window.LiveChat as { identify(t: string): Promise<unknown> }).identify(t).catch(() => undefined),
      token,
    );
    await first.waitForTimeout(500);
    await second.evaluate(() => (window.LiveChat as { logout(): Promise<void> }).logout());
    expect(await keptSession(frame)).toBeNull();
    release();
    await identified;
    await first.waitForTimeout(500);
    // Expected: the sign-out, which the site asked for last, wins. Found: the exchange answered after it and
    // its verified session is kept: the next person on the device is Eve in the chat.
    expect(await keptSession(frame)).toBeNull();
  }, 60_000);
});

describe('an identity exchange whose answer is lost', () => {
  it('leaves the visitor a chat that works: the upgraded guest is done, so the widget moves on', async () => {
    const { host, frame, guestId } = await guestInRoom();
    // The server upgrades the guest (its room moves to the verified user), but the answer never arrives.
    await host.context().route('**/api/chat/guest-sessions', async (route: Route) => {
      if (!route.request().postData()?.includes('identity_token')) return route.continue();
      await route.fetch();
      await route.abort('connectionreset');
    });
    const token = await identityToken('lost-answer', 'Lost Answer');
    const result = await host.evaluate(
      (t) =>
        (window.LiveChat as { identify(t: string): Promise<unknown> }).identify(t).then(
          () => 'identified',
          () => 'failed',
        ),
      token,
    );
    expect(result).toBe('failed');
    // The widget checks the guest (a forced renewal): the server renews an upgraded guest no more, so the
    // widget lets it go instead of keeping a guest whose room is gone (“Not sent. Room not found”).
    await expect.poll(async () => (await keptSession(frame))?.user_id).not.toBe(guestId);
    expect(await frame.getByText('Not sent').count()).toBe(0);
    // The site tries again (a new token): the visitor is the verified person, with the conversation.
    await host.context().unroute('**/api/chat/guest-sessions');
    const again = await identityToken('lost-answer', 'Lost Answer');
    expect(
      await host.evaluate(
        (t) =>
          (window.LiveChat as { identify(t: string): Promise<unknown> }).identify(t).then(
            () => 'identified',
            () => 'failed',
          ),
        again,
      ),
    ).toBe('identified');
    await frame
      .locator('.message.mine .bubble', { hasText: 'first, as a guest' })
      .waitFor({ timeout: 5_000 });
  }, 60_000);
});
