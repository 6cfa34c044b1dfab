import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import { expectAccessible } from '../support/axe.js';
import { shows, signIn, startWebHarness, type WebHarness } from './harness.js';

let harness: WebHarness;
let consolePage: Page;
let widgetPage: Page;
let widgetConnection: string;
const dialogs: string[] = [];

const SUBJECT = 'Where is my parcel?';
const XSS = '<img src=x onerror=alert(1)>';

beforeAll(async () => {
  harness = await startWebHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/** Message ids in the order the page shows them. */
function shownIds(page: Page): Promise<number[]> {
  return page.$$eval('[data-message-id]', (items) =>
    items.map((item) => Number((item as HTMLElement).dataset.messageId)),
  );
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function bubbles(page: Page): Promise<string[]> {
  return page.$$eval('[data-message-id] .bubble', (items) => items.map((item) => item.textContent ?? ''));
}

describe('staff console and customer widget in Chromium', () => {
  it('puts a new room in the staff queue live, with its unread count', async () => {
    ({ page: consolePage } = await harness.open('/console.html'));
    await expectAccessible(consolePage, 'console, sign-in');
    await signIn(consolePage, 'sam', 'staff');
    await shows(consolePage, '.empty', 'No open rooms');
    await expectAccessible(consolePage, 'console, queue empty');
    // Signed in: focus is on the (empty) queue, where new rooms come.
    expect(await consolePage.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'queue',
    );
    // The console's socket may still be in $connect after its first page has rendered; wait for it, so the
    // widget's socket is the only new one below.
    await expect.poll(() => harness.stack.webSocket.connectionIds()).toHaveLength(1);

    ({ page: widgetPage } = await harness.open('/widget.html', { width: 420, height: 760 }));
    for (const page of [consolePage, widgetPage])
      page.on('dialog', (dialog) => void dialogs.push(dialog.message()));
    const before = harness.stack.webSocket.connectionIds();
    await expectAccessible(widgetPage, 'widget, sign-in');
    await signIn(widgetPage, 'carol', 'customer');
    await widgetPage.getByLabel('Topic').waitFor();
    await expectAccessible(widgetPage, 'widget, start form');
    // Signed in: focus is in the start form.
    await expect
      .poll(() => widgetPage.evaluate(() => document.activeElement?.closest('form') !== null))
      .toBe(true);
    await widgetPage.getByLabel('Topic').selectOption('orders');
    await widgetPage.getByLabel('Subject').fill(SUBJECT);
    await widgetPage.getByRole('button', { name: 'Start chat' }).click();
    const composer = widgetPage.getByRole('textbox', { name: 'Message' });
    await composer.fill('Hello, order 1234 has not arrived');
    await composer.press('Enter');
    await expect
      .poll(() => harness.stack.webSocket.connectionIds().filter((id) => !before.includes(id)))
      .toHaveLength(1);
    widgetConnection = harness.stack.webSocket.connectionIds().find((id) => !before.includes(id)) as string;

    const item = consolePage.locator('.queue-item', { hasText: SUBJECT });
    await item.waitFor();
    await expect.poll(() => item.getByTestId('unread').textContent()).toBe('1');
    expect(await item.textContent()).toContain('carol · orders');
    expect(await item.textContent()).toContain('Waiting');
    await expect.poll(() => consolePage.title()).toBe('(1) Support console');
    await expectAccessible(consolePage, 'console, queue with a room');
    await expectAccessible(widgetPage, 'widget, conversation waiting for staff');
  });

  it('lets staff join and reply; typing and "Seen" show on the other side', async () => {
    await consolePage.locator('.queue-item', { hasText: SUBJECT }).click();
    await shows(consolePage, '.bubble', 'Hello, order 1234 has not arrived');
    await expectAccessible(consolePage, 'console, room open');
    await consolePage.getByRole('button', { name: 'Join', exact: true }).click();
    await shows(widgetPage, '.chat-header', 'You are talking with sam');
    // Joined: the next thing to do is to answer.
    await expect.poll(() => consolePage.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');
    await shows(widgetPage, '[data-testid="staff-status"]', 'We are online');

    // Staff opened the room, so the customer's message is marked read and shows as seen.
    await shows(widgetPage, '.message.mine', 'Seen');
    await expect.poll(() => consolePage.locator('.queue-item [data-testid="unread"]').count()).toBe(0);

    const reply = consolePage.getByRole('textbox', { name: 'Message' });
    await reply.pressSequentially('Sorry to hear');
    await shows(widgetPage, '[data-testid="typing"]', 'sam (support) is typing…');
    await reply.press('Shift+Enter');
    await reply.pressSequentially('let me check.');
    await reply.press('Enter');
    await shows(widgetPage, '.message.theirs .bubble', 'let me check.');
    expect((await bubbles(widgetPage)).at(-1)).toBe('Sorry to hear\nlet me check.');
    await expect.poll(() => widgetPage.getByTestId('typing').textContent()).toBe('');
    await shows(consolePage, '.message.mine', 'Seen');

    await widgetPage.getByRole('textbox', { name: 'Message' }).pressSequentially('Thanks');
    await shows(consolePage, '[data-testid="typing"]', 'carol is typing…');
    await widgetPage.getByRole('textbox', { name: 'Message' }).press('Enter');
    await shows(consolePage, '.message.theirs .bubble', 'Thanks');
    await expectAccessible(consolePage, 'console, joined room with messages');
    await expectAccessible(widgetPage, 'widget, conversation with staff');
  });

  it('renders a message that looks like HTML as inert text', async () => {
    const composer = widgetPage.getByRole('textbox', { name: 'Message' });
    await composer.fill(XSS);
    await composer.press('Enter');
    for (const page of [consolePage, widgetPage]) {
      await shows(page, '.bubble', XSS);
      expect((await bubbles(page)).at(-1)).toBe(XSS);
      expect(await page.locator('img').count()).toBe(0);
    }
    await consolePage.waitForTimeout(200);
    expect(dialogs).toEqual([]);
  });

  it('survives a dropped socket: a quiet hint, then the messages sent meanwhile, each once', async () => {
    // Keep the widget from getting a new ticket until staff has written, so these really arrive while it
    // is offline.
    await widgetPage.route('**/api/chat/ws-ticket', (route) => route.abort('connectionrefused'));
    harness.stack.webSocket.drop(widgetConnection);
    await shows(widgetPage, '.connection-hint', 'Reconnecting…');

    const reply = consolePage.getByRole('textbox', { name: 'Message' });
    for (const text of ['Found it: it is at the depot', 'It will arrive tomorrow']) {
      await reply.fill(text);
      await reply.press('Enter');
      await shows(consolePage, '.message.mine .bubble', text);
    }
    // The customer writes while offline: the message waits, marked as sending.
    const composer = widgetPage.getByRole('textbox', { name: 'Message' });
    await composer.fill('Great, thank you!');
    await composer.press('Enter');
    await shows(widgetPage, '.message.pending', 'Great, thank you!');
    await expectAccessible(widgetPage, 'widget, offline with a message waiting');

    await widgetPage.unroute('**/api/chat/ws-ticket');
    await shows(widgetPage, '.message.theirs .bubble', 'It will arrive tomorrow', 15_000);
    await shows(consolePage, '.message.theirs .bubble', 'Great, thank you!', 10_000);
    await expect.poll(() => widgetPage.locator('.connection-hint').textContent()).toBe('');
    expect(await widgetPage.locator('.message.pending').count()).toBe(0);

    const expected = [
      'Hello, order 1234 has not arrived',
      'Sorry to hear\nlet me check.',
      'Thanks',
      XSS,
      'Found it: it is at the depot',
      'It will arrive tomorrow',
      'Great, thank you!',
    ];
    for (const page of [widgetPage, consolePage]) {
      expect(await bubbles(page)).toEqual(expected);
      expect(await shownIds(page)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    }
  });

  it('scrolls back through history a page at a time, keeping every message once and in order', async () => {
    const token = await harness.stack.issuer.mint({ userId: 'dora' });
    const dora = new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
    const room = await dora.createRoom({ subject: 'A long story' });
    for (let i = 1; i <= 70; i++) await dora.sendMessage(room.id, `part ${i}`);
    // The console followed the room live and holds all 70; after a reload (the session survives it) only
    // the newest page is loaded and the rest comes from scrolling back.
    await consolePage.reload();
    const item = consolePage.locator('.queue-item', { hasText: 'A long story' });
    await expect.poll(() => item.getByTestId('unread').textContent()).toBe('70');
    await item.click();
    await shows(consolePage, '.bubble', 'part 70');
    expect(await shownIds(consolePage)).toEqual(range(41, 70));
    // Scrolling to the top loads one page more, and keeps the place: no cascade of loads.
    await consolePage.getByRole('button', { name: 'Show earlier messages' }).waitFor();
    const scrollToTop = () =>
      consolePage.locator('.messages').evaluate((element) => {
        element.scrollTop = 0;
      });
    await scrollToTop();
    await expect.poll(() => shownIds(consolePage)).toEqual(range(11, 70));
    await consolePage.waitForTimeout(200);
    expect(await shownIds(consolePage)).toEqual(range(11, 70));
    await scrollToTop();
    await shows(consolePage, '.start-of-history', 'This is the start of the conversation.');
    expect(await shownIds(consolePage)).toEqual(range(1, 70));
    await expectAccessible(consolePage, 'console, long history scrolled back');
    await expect.poll(() => item.getByTestId('unread').count()).toBe(0);
    // Back to the customer's room for the last test.
    await consolePage.locator('.queue-item', { hasText: SUBJECT }).click();
    await shows(consolePage, '.bubble', 'Great, thank you!');
  });

  it('makes http(s) links in a message clickable, in a new tab without opener or referrer, and nothing else', async () => {
    const reply = consolePage.getByRole('textbox', { name: 'Message' });
    await reply.fill('Track it at https://parcels.example/track?id=42. Or javascript:alert(1)');
    await reply.press('Enter');
    const link = widgetPage.locator('.bubble a', { hasText: 'https://parcels.example/track?id=42' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('https://parcels.example/track?id=42');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    // One link: the rest, the sentence's full stop and the javascript: text included, stays text.
    expect(await widgetPage.locator('.bubble').last().locator('a').count()).toBe(1);
    expect((await bubbles(widgetPage)).at(-1)).toBe(
      'Track it at https://parcels.example/track?id=42. Or javascript:alert(1)',
    );
    await expectAccessible(widgetPage, 'widget, message with a link');
  });

  it('closes the room from the console and tells the customer', async () => {
    await consolePage.getByRole('button', { name: 'Close', exact: true }).click();
    await consolePage.getByRole('button', { name: 'Yes, close' }).click();
    await shows(consolePage, '.closed-note', 'This conversation is closed.');
    await shows(widgetPage, '.closed-note', 'This chat has ended.');
    await expectAccessible(consolePage, 'console, closed room');
    await expectAccessible(widgetPage, 'widget, chat ended');
    await widgetPage.getByRole('button', { name: 'Start a new chat' }).click();
    await widgetPage.getByRole('button', { name: 'Start chat' }).waitFor();
  });

  it('says "Connecting…", not "Reconnecting…", while the first connection has not opened yet', async () => {
    const { page } = await harness.open('/console.html');
    await page.route('**/api/chat/ws-ticket', (route) => route.abort('connectionrefused'));
    await signIn(page, 'erin', 'staff');
    await shows(page, '.connection-hint', 'Connecting…');
    await expectAccessible(page, 'console, connecting');
    await page.waitForTimeout(1_000); // failed attempts go on meanwhile
    expect(await page.locator('.connection-hint').textContent()).toBe('Connecting…');
    await page.unroute('**/api/chat/ws-ticket');
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await expect.poll(() => page.locator('.connection-hint').textContent(), { timeout: 15_000 }).toBe('');
  });
});
