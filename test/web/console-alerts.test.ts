import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import type { Room } from '../../client/wire.js';
import { expectAccessible } from '../support/axe.js';
import { signIn, startWebHarness, type WebHarness } from './harness.js';
import {
  chimeTones,
  clickNewestNotification,
  emulateAttention,
  setView,
  shownNotifications,
} from './page-attention.js';

/**
 * The console's alerts and read rule in Chromium, with the page's view of its tab and window emulated and
 * its notifications and chimes recorded (./page-attention.ts).
 */

let harness: WebHarness;
let context: BrowserContext;
let page: Page;
/** Every frame the console sent, its sockets together. */
const sent: { type: string; room_id?: string; message_id?: number }[] = [];
/** Summaries come a stream batch (1 s window) after the change. */
const SUMMARY = { timeout: 8_000 } as const;

beforeAll(async () => {
  harness = await startWebHarness();
  ({ context, page } = await harness.open('/console.html'));
  // The emulation applies from the next navigation on.
  await emulateAttention(context);
  page.on('websocket', (ws) => ws.on('framesent', (event) => sent.push(JSON.parse(String(event.payload)))));
  await page.reload();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

async function as(userId: string, staff = false): Promise<ChatHttp> {
  const token = await harness.stack.issuer.mint({ userId, staff });
  return new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
}

const view = (visible: boolean, focused: boolean) => setView(page, visible, focused);
const shown = () => shownNotifications(page);
const item = (subject: string) => page.locator('.queue-item', { hasText: subject });
const staffRead = async (http: ChatHttp, roomId: string, userId: string) =>
  (await http.getRoom(roomId)).members.find((member) => member.user_id === userId)?.last_read ?? 0;

describe('the console tells an agent who is away', () => {
  let alice: ChatHttp;
  let bob: ChatHttp;
  let aliceRoom: Room;
  let bobRoom: Room;

  it('asks for desktop notifications only when the button is pressed', async () => {
    await signIn(page, 'sam', 'staff');
    await page.getByText('No open rooms').waitFor();
    const button = page.getByRole('button', { name: 'Turn on notifications' });
    await button.waitFor();
    expect(await page.evaluate(() => [window.__asked, Notification.permission])).toEqual([0, 'default']);
    await expectAccessible(page, 'console with the notifications button');
    // The person allows them when asked.
    await button.click();
    await button.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => [window.__asked, Notification.permission])).toEqual([1, 'granted']);
    await expect.poll(() => harness.stack.webSocket.connectionIds()).toHaveLength(1);
  });

  it('shows a notification for a new room while the tab is hidden, and counts it in the title', async () => {
    await view(false, false);
    alice = await as('alice');
    aliceRoom = await alice.createRoom({ subject: 'Parcel late' });
    await expect
      .poll(shown, SUMMARY)
      .toEqual([{ title: 'New chat from alice', body: 'Parcel late', tag: `room-${aliceRoom.id}` }]);
    await expect.poll(() => page.title(), SUMMARY).toBe('(1) Support console');
    // More messages from a room nobody has keep it one thing to do, and ring no more.
    await alice.sendMessage(aliceRoom.id, 'order 1234');
    await alice.sendMessage(aliceRoom.id, 'it was due Monday');
    await expect.poll(() => item('Parcel late').getByTestId('unread').textContent(), SUMMARY).toBe('2');
    expect(await page.title()).toBe('(1) Support console');
    expect(await shown()).toHaveLength(1);
  });

  it('rings for a customer message in my rooms, never in a colleague’s', async () => {
    const sam = await as('sam', true);
    const kim = await as('kim', true);
    await sam.joinRoom(aliceRoom.id);
    // Mine now: its two unread customer messages count, not as one new room.
    await expect.poll(() => page.title(), SUMMARY).toBe('(2) Support console');
    bob = await as('bob');
    bobRoom = await bob.createRoom({ subject: 'Refund' });
    await expect.poll(() => shown().then((all) => all.length), SUMMARY).toBe(2);
    await kim.joinRoom(bobRoom.id);
    await kim.sendMessage(bobRoom.id, 'I can help with that');
    await bob.sendMessage(bobRoom.id, 'thanks kim');
    await expect.poll(() => item('Refund').locator('.preview').textContent(), SUMMARY).toBe('thanks kim');
    // Kim's room: no sound, no notification, nothing in my title.
    expect(await page.title()).toBe('(2) Support console');
    await alice.sendMessage(aliceRoom.id, 'hello?');
    await expect
      .poll(() => shown().then((all) => all.at(-1)), SUMMARY)
      .toEqual({
        title: 'alice wrote',
        body: 'hello?',
        tag: `room-${aliceRoom.id}`,
      });
    expect(await shown()).toHaveLength(3);
    // A click on it opens that room (the person clicks the notification the system shows).
    await clickNewestNotification(page);
    await page.getByRole('region', { name: 'Conversation: Parcel late' }).waitFor();
    // Each alert rang too: two tones each (the button's press let the page start its audio).
    expect(await chimeTones(page)).toBe(6);
    await expect.poll(() => page.title(), SUMMARY).toBe('(3) Support console');
    await expectAccessible(page, 'console with a count of what waits, a room open');
  });

  it('marks a room read only while the tab is visible and focused', async () => {
    // On screen, but another window has the focus: what shows is not read.
    await view(true, false);
    await item('Parcel late').click();
    await page.locator('.bubble', { hasText: 'hello?' }).waitFor();
    await alice.sendMessage(aliceRoom.id, 'anyone?');
    await page.locator('.bubble', { hasText: 'anyone?' }).waitFor();
    // The page decides when a message renders: no read frame left it, and the server has no read.
    expect(sent.filter((frame) => frame.type === 'read')).toEqual([]);
    expect(await staffRead(alice, aliceRoom.id, 'sam')).toBe(0);
    expect(await page.title()).toBe('(4) Support console');
    // Someone not looking is told, on screen or not.
    await expect.poll(() => shown().then((all) => all.at(-1)?.body)).toBe('anyone?');
    // Focus back: read at once, and the customer's "Seen" follows.
    await view(true, true);
    await expect.poll(() => staffRead(alice, aliceRoom.id, 'sam'), SUMMARY).toBe(4);
    expect(sent.filter((frame) => frame.type === 'read')).toEqual([
      { type: 'read', room_id: aliceRoom.id, message_id: 4 },
    ]);
    await expect.poll(() => page.title(), SUMMARY).toBe('Support console');
    // While the person looks, nothing rings: the queue shows it.
    const before = (await shown()).length;
    const tones = await chimeTones(page);
    await bob.sendMessage(bobRoom.id, 'one more thing');
    await alice.sendMessage(aliceRoom.id, 'thanks!');
    await page.locator('.bubble', { hasText: 'thanks!' }).waitFor();
    await expect.poll(() => staffRead(alice, aliceRoom.id, 'sam'), SUMMARY).toBe(5);
    expect((await shown()).length).toBe(before);
    expect(await chimeTones(page)).toBe(tones);
  });

  it('does not mark read what arrives while the agent reads further up the conversation', async () => {
    const kim = await as('kim', true);
    for (let i = 0; i < 30; i++) await kim.sendMessage(aliceRoom.id, `notes on the parcel, part ${i}`);
    await page.locator('.bubble', { hasText: 'part 29' }).waitFor();
    const reads = () => sent.filter((frame) => frame.type === 'read').length;
    await expect.poll(() => staffRead(alice, aliceRoom.id, 'sam'), SUMMARY).toBe(35);
    // Scrolled up to read: a new customer message lands below, out of view.
    await page.locator('.messages').evaluate((element) => {
      element.scrollTop = 0;
    });
    const before = reads();
    await alice.sendMessage(aliceRoom.id, 'are you still there?');
    await page.locator('.bubble', { hasText: 'are you still there?' }).waitFor();
    expect(reads()).toBe(before);
    expect(await staffRead(alice, aliceRoom.id, 'sam')).toBe(35);
    await expect.poll(() => page.title()).toBe('(1) Support console');
    // Back at the newest: read.
    await page.locator('.messages').evaluate((element) => {
      element.scrollTop = element.scrollHeight;
    });
    await expect.poll(() => staffRead(alice, aliceRoom.id, 'sam'), SUMMARY).toBe(36);
    await expect.poll(() => page.title()).toBe('Support console');
  });
});
