import type { CDPSession, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import type { RoomDetail } from '../../client/wire.js';
import { expectAccessible } from '../support/axe.js';
import {
  clickLauncher,
  type EmbedHarness,
  keptSession,
  launcher,
  startEmbedHarness,
  widgetFrame,
} from './embed-harness.js';
import { shows as showsWithin, signIn } from './harness.js';

/** The embedded widget loads in a frame of another origin: its waits get a little longer. */
const shows = (target: Page | Frame, selector: string, text: string | RegExp, timeout = 8_000) =>
  showsWithin(target, selector, text, timeout);

let harness: EmbedHarness;
let staff: ChatHttp;
let consolePage: Page;
let host: Page;
let cdp: CDPSession;
let frame: Frame;
let roomId: string;
let guestId: string;

const SUBJECT = 'Which chair for a balcony?';

beforeAll(async () => {
  harness = await startEmbedHarness();
  const token = await harness.stack.issuer.mint({ userId: 'sam', staff: true });
  staff = new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

async function openHost(): Promise<void> {
  ({ page: host } = await harness.open(`${harness.demo.url}/`, { width: 1100, height: 760 }));
  cdp = await host.context().newCDPSession(host);
  frame = await widgetFrame(host);
}

const detail = (id: string): Promise<RoomDetail> => staff.getRoom(id);

/** Renews a session with a refresh token, as the widget does. */
const renew = (refreshToken: string | undefined) =>
  fetch(`${harness.baseUrl}/api/chat/guest-sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });

describe('a visitor of the demo shop chats with support through the embed', () => {
  it('chats as a guest with staff in the console', async () => {
    ({ page: consolePage } = await harness.open('/console.html'));
    await signIn(consolePage, 'sam', 'staff');
    await shows(consolePage, '.empty', 'No open rooms');

    await openHost();
    await expectAccessible(host, 'host page, launcher closed');
    await clickLauncher(host);
    await frame.getByLabel('Subject').waitFor();
    await expectAccessible(frame, 'embedded widget, start form');
    await expectAccessible(host, 'host page, chat open');
    await frame.getByLabel('Subject').fill(SUBJECT);
    await frame.getByRole('button', { name: 'Start chat' }).click();
    const composer = frame.getByRole('textbox', { name: 'Message' });
    await composer.fill('Hello, is the teak one weatherproof?');
    await composer.press('Enter');

    const kept = await keptSession(frame);
    expect(kept?.kind).toBe('guest');
    expect(kept?.user_id).toMatch(/^guest_/);
    guestId = kept?.user_id as string;

    await consolePage.locator('.queue-item', { hasText: SUBJECT }).click();
    await shows(consolePage, '.bubble', 'Hello, is the teak one weatherproof?');
    await consolePage.getByRole('button', { name: 'Join', exact: true }).click();
    const reply = consolePage.getByRole('textbox', { name: 'Message' });
    await reply.fill('Yes, it is oiled teak.');
    await reply.press('Enter');
    await shows(frame, '.message.theirs .bubble', 'Yes, it is oiled teak.');
    await expectAccessible(frame, 'embedded widget, conversation with staff');

    const rooms = await staff.activeRooms();
    const room = rooms.results.find((r) => r.subject === SUBJECT);
    roomId = room?.id as string;
    await shows(consolePage, '[data-testid="customer-kind"]', 'Guest');
    await shows(consolePage, '[data-testid="customer-page"]', `${harness.demo.url}/`);
    await expectAccessible(consolePage, 'console, room of an embedded guest');
    // The room knows the page the chat was opened from.
    expect((await detail(roomId)).customer).toMatchObject({
      user_id: guestId,
      kind: 'guest',
      verified: false,
      page_url: `${harness.demo.url}/`,
    });
  });

  it('counts what arrives while the chat is closed on the launcher’s badge, and clears it when opened', async () => {
    await frame.getByRole('button', { name: 'Close chat' }).click();
    await expect.poll(() => launcher(cdp)).toEqual({ name: 'Chat with us', expanded: false });
    const reply = consolePage.getByRole('textbox', { name: 'Message' });
    await reply.fill('Anything else?');
    await reply.press('Enter');
    await expect.poll(() => launcher(cdp)).toEqual({ name: 'Chat with us, 1 unread', expanded: false });
    expect(await host.locator('#unread').textContent()).toBe('1');
    await expectAccessible(host, 'host page, launcher with an unread badge');
    await clickLauncher(host);
    await expect.poll(() => launcher(cdp)).toEqual({ name: 'Chat with us', expanded: true });
    expect(await host.locator('#unread').textContent()).toBe('0');
  });

  it('continues the conversation after a reload, renewing the token with the rotating refresh token', async () => {
    const before = await keptSession(frame);
    // Let the token be close to expiry, so the page renews it as it starts.
    await frame.evaluate(() => {
      const key = 'live-chat:embed:session';
      const kept = JSON.parse(localStorage.getItem(key) as string);
      localStorage.setItem(
        key,
        JSON.stringify({ ...kept, expires_at: new Date(Date.now() + 60_000).toISOString() }),
      );
    });
    // Something half written survives the reload too (the tab's sessionStorage), and goes once it is sent.
    await frame.getByRole('textbox', { name: 'Message' }).fill('Half a thought');
    await host.reload();
    frame = await widgetFrame(host);
    await clickLauncher(host);
    await shows(frame, '.message.theirs .bubble', 'Anything else?');
    await expect
      .poll(() => frame.getByRole('textbox', { name: 'Message' }).inputValue())
      .toBe('Half a thought');
    const after = await keptSession(frame);
    expect(after?.user_id).toBe(before?.user_id);
    expect(after?.refresh_token).not.toBe(before?.refresh_token);
    expect(Date.parse(after?.expires_at as string)).toBeGreaterThan(Date.now() + 30 * 60_000);
    const composer = frame.getByRole('textbox', { name: 'Message' });
    await composer.fill('I am back');
    await composer.press('Enter');
    await shows(consolePage, '.message.theirs .bubble', 'I am back');
    expect(await composer.inputValue()).toBe('');
    expect(
      await frame.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('live-chat:draft:'))),
    ).toEqual([]);
    expect((await staff.activeRooms()).results.filter((r) => r.subject === SUBJECT)).toHaveLength(1);
  });

  it('refuses a forged identity token: the widget says so and the visitor stays the guest', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const claims = Buffer.from(
      JSON.stringify({ sub: 'mallory', jti: 'forged-1', exp: Math.floor(Date.now() / 1000) + 300 }),
    ).toString('base64url');
    const forged = `${header}.${claims}.${Buffer.from('not the secret').toString('base64url')}`;
    const result = await host.evaluate(
      (token) =>
        (window.LiveChat as { identify(t: string): Promise<unknown> }).identify(token).then(
          () => 'accepted',
          (error: Error & { code?: string }) => error.code,
        ),
      forged,
    );
    expect(result).toBe('invalid_identity_token');
    await shows(frame, '[data-testid="embed-notice"]', 'We could not confirm who you are');
    await expectAccessible(frame, 'embedded widget, identity refused');
    expect((await keptSession(frame))?.user_id).toBe(guestId);
    expect((await detail(roomId)).customer.user_id).toBe(guestId);
  });

  it('identifies the guest mid-conversation: the same room, now under the verified name', async () => {
    const guest = await keptSession(frame);
    await host.evaluate(() => {
      const w = window as unknown as { identified: unknown[] };
      w.identified = [];
      (window.LiveChat as { on(e: string, cb: (d: unknown) => void): void }).on('identified', (d) =>
        w.identified.push(d),
      );
    });
    await host.getByLabel('Name').fill('Ada Lovelace');
    await host.getByRole('button', { name: 'Sign in as this person' }).click();
    await shows(frame, '[data-testid="identity"]', 'Signed in as Ada Lovelace');
    expect(await host.evaluate(() => (window as unknown as { identified: unknown[] }).identified)).toEqual([
      { userId: 'site_shop-ada-lovelace', name: 'Ada Lovelace' },
    ]);
    const kept = await keptSession(frame);
    expect(kept).toMatchObject({ kind: 'verified', user_id: 'site_shop-ada-lovelace' });
    expect(await frame.locator('[data-testid="embed-notice"]').count()).toBe(0);
    // The guest's refresh secret is revoked: it would only renew a guest who owns nothing now.
    expect((await renew(guest?.refresh_token)).status).toBe(401);
    // The conversation goes on where it was.
    await shows(frame, '.message.mine .bubble', 'I am back');
    const composer = frame.getByRole('textbox', { name: 'Message' });
    await composer.fill('Now signed in');
    await composer.press('Enter');
    await shows(consolePage, '.message.theirs .bubble', 'Now signed in');
    expect((await detail(roomId)).customer).toMatchObject({
      user_id: 'site_shop-ada-lovelace',
      name: 'Ada Lovelace',
      kind: 'verified',
      verified: true,
    });
    // The console shows her by name, marked verified, live: in the queue row and the customer panel.
    await shows(consolePage, '[data-testid="queue-customer"]', 'Ada Lovelace');
    await shows(consolePage, '[data-testid="customer-name"]', 'Ada Lovelace');
    await shows(consolePage, '[data-testid="customer-kind"]', 'Verified');
    await expectAccessible(frame, 'embedded widget, verified person');
    await expectAccessible(consolePage, 'console, verified customer');
    // A reload with the shop still signed in asks again: the widget knows the person and spends nothing.
    const signedBefore = harness.demo.signed();
    const exchanges: string[] = [];
    host.on('request', (request) => {
      if (
        request.url().endsWith('/api/chat/guest-sessions') &&
        request.postData()?.includes('identity_token')
      )
        exchanges.push(request.url());
    });
    await host.reload();
    frame = await widgetFrame(host);
    await expect.poll(() => harness.demo.signed()).toBe(signedBefore + 1);
    await host.waitForTimeout(500);
    expect(exchanges).toEqual([]);
    expect((await keptSession(frame))?.user_id).toBe('site_shop-ada-lovelace');
  });

  it('signs out with the shop: the session is revoked and the next person starts afresh', async () => {
    const before = await keptSession(frame);
    await host.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => keptSession(frame)).toBeNull();
    // The old refresh token no longer works.
    expect((await renew(before?.refresh_token)).status).toBe(401);
    await clickLauncher(host);
    await frame.getByRole('button', { name: 'Start chat' }).waitFor();
    const next = await keptSession(frame);
    expect(next?.kind).toBe('guest');
    expect(next?.user_id).not.toBe(guestId);
    expect(await frame.locator('.bubble').count()).toBe(0);
  });
});
