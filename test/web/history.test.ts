import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import type { Room } from '../../client/wire.js';
import { expectAccessible } from '../support/axe.js';
import { signIn, startWebHarness, type WebHarness } from './harness.js';

// Closed conversations found again in the console (the closed list, the customer panel, a room's own URL)
// and the widget showing a returning customer their previous conversation, in Chromium.
let harness: WebHarness;
let dora: ChatHttp;
let tess: ChatHttp;
let earlier: Room;
let current: Room;

beforeAll(async () => {
  harness = await startWebHarness();
  const http = async (userId: string, staff = false) => {
    const token = await harness.stack.issuer.mint({ userId, staff });
    return new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
  };
  dora = await http('dora');
  tess = await http('tess', true);
  await tess.updateProfile({ name: 'Tess Agent' });
  earlier = await dora.createRoom({ subject: 'Broken zipper' });
  await dora.sendMessage(earlier.id, 'The zipper broke on day one');
  await tess.sendMessage(earlier.id, 'A replacement is on its way');
  await tess.closeRoom(earlier.id);
  current = await dora.createRoom({ subject: 'Zipper again' });
  await dora.sendMessage(current.id, 'The new one broke too');
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

const roomOfUrl = (page: Page) => new URL(page.url()).hash;
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
const focusedRoom = (page: Page) =>
  page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.roomId ?? '');

describe('past conversations in the console', () => {
  let page: Page;

  it('focuses the queue after sign-in, and gives the room opened its URL', async () => {
    ({ page } = await harness.open('/console.html'));
    await expectAccessible(page, 'console, signed out');
    await signIn(page, 'sam', 'staff');
    await page.locator('.queue-item', { hasText: 'Zipper again' }).waitFor();
    await expect.poll(() => focusedRoom(page)).toBe(current.id);
    await expectAccessible(page, 'console, queue with a room');
    await page.keyboard.press('Enter');
    await page.locator('.room h2', { hasText: 'Zipper again' }).waitFor();
    expect(roomOfUrl(page)).toBe(`#/rooms/${current.id}`);
  });

  it('lists the customer’s earlier conversation in the customer panel, closed, with who closed it', async () => {
    const entry = page.getByTestId('customer-history').locator('.history-entry');
    await expect.poll(() => entry.count()).toBe(1);
    expect(await entry.textContent()).toMatch(/^Broken zipperClosed just now by Tess Agent$/);
    await expectAccessible(page, 'console, room open with past conversations');
  });

  it('moves focus to the composer after Join and keeps it there after sending', async () => {
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await page.getByRole('button', { name: 'Leave', exact: true }).waitFor();
    await expect.poll(() => focusedId(page)).toBe(`composer-${current.id}`);
    await page.keyboard.type('Sorry about that, let me look');
    await page.keyboard.press('Enter');
    await page.locator('.message.mine .bubble', { hasText: 'Sorry about that' }).waitFor();
    expect(await focusedId(page)).toBe(`composer-${current.id}`);
  });

  it('opens the closed room from the panel read-only, under its URL; back and forward move between the two', async () => {
    await page
      .getByTestId('customer-history')
      .getByRole('link', { name: /Broken zipper/ })
      .click();
    await page.locator('.room h2', { hasText: 'Broken zipper' }).waitFor();
    expect(roomOfUrl(page)).toBe(`#/rooms/${earlier.id}`);
    await page.locator('.bubble', { hasText: 'A replacement is on its way' }).waitFor();
    expect(await page.locator('.closed-note').textContent()).toBe(
      'This conversation is closed. Closed just now by Tess Agent.',
    );
    expect(await page.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Join', exact: true }).count()).toBe(0);
    await expectAccessible(page, 'console, closed room');

    await page.goBack();
    await page.locator('.room h2', { hasText: 'Zipper again' }).waitFor();
    expect(roomOfUrl(page)).toBe(`#/rooms/${current.id}`);
    await page.locator('.bubble', { hasText: 'Sorry about that' }).waitFor();
    await page.goForward();
    await page.locator('.room h2', { hasText: 'Broken zipper' }).waitFor();
    await page.goBack();
    await page.goBack();
    await page.locator('.empty-state h2', { hasText: 'Pick a room' }).waitFor();
  });

  it('finds the closed room again in the list of closed conversations, newest first', async () => {
    const other = await dora.createRoom({ subject: 'Wrong colour' });
    await dora.closeRoom(other.id);
    await page.getByRole('button', { name: 'Closed conversations' }).click();
    const entries = page.getByTestId('closed-rooms').locator('.history-entry');
    await expect.poll(() => entries.count()).toBe(2);
    expect(await entries.allTextContents()).toEqual([
      'Wrong colourdoraClosed just now by dora',
      'Broken zipperdoraClosed just now by Tess Agent',
    ]);
    await expectAccessible(page, 'console, closed conversations listed');
    await entries.nth(1).click();
    await page.locator('.room h2', { hasText: 'Broken zipper' }).waitFor();
    expect(roomOfUrl(page)).toBe(`#/rooms/${earlier.id}`);
    expect(await entries.nth(1).getAttribute('aria-current')).toBe('page');
  });

  it('opens a room URL directly, after sign-in, and says so when the room does not exist', async () => {
    const { page: direct } = await harness.open(`/console.html#/rooms/${earlier.id}`);
    await signIn(direct, 'sam', 'staff');
    await direct.locator('.room h2', { hasText: 'Broken zipper' }).waitFor();
    await direct.locator('.closed-note').waitFor();
    await direct.evaluate(() => {
      location.hash = '#/rooms/00000000-0000-4000-8000-000000000000';
    });
    await direct.getByRole('alert').filter({ hasText: 'That conversation does not exist.' }).waitFor();
    expect(await direct.locator('.room').count()).toBe(0);
    await expectAccessible(direct, 'console, unknown room URL');
  });
});

describe('the widget for a returning customer', () => {
  it('shows their previous conversation read-only, then starts a new one', async () => {
    const ivan = await (async () => {
      const token = await harness.stack.issuer.mint({ userId: 'ivan' });
      return new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
    })();
    const before = await ivan.createRoom({ subject: 'Late delivery' });
    await ivan.sendMessage(before.id, 'Where is my parcel?');
    await tess.sendMessage(before.id, 'It arrives tomorrow');
    await tess.closeRoom(before.id);

    const { page } = await harness.open('/widget.html', { width: 420, height: 760 });
    await signIn(page, 'ivan', 'customer');
    await page.locator('.chat h2', { hasText: 'Late delivery' }).waitFor();
    await page.locator('.bubble', { hasText: 'It arrives tomorrow' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    await page.locator('.closed-note', { hasText: 'This chat has ended.' }).waitFor();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toBe('Start a new chat');
    await expectAccessible(page, 'widget, previous conversation');

    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Start chat' }).waitFor();
    await expectAccessible(page, 'widget, start form after a previous conversation');
  });
});
