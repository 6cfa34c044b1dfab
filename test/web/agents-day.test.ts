import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import { createCannedReply } from '../../client/staff-http.js';
import type { Room } from '../../client/wire.js';
import { expectAccessible } from '../support/axe.js';
import { holdBothAssigns } from './assign-race.js';
import { pngIn, transfer } from './attachment-input.js';
import { conversationRows, recordTraffic } from './conversation-probe.js';
import { signIn, startWebHarness, type WebHarness } from './harness.js';
import {
  chimeTones,
  clickNewestNotification,
  emulateAttention,
  setView,
  shownNotifications,
} from './page-attention.js';

/**
 * Issue 11's "Done when", played as one story in Chromium against one local stack: two agents (two consoles)
 * and three customers (three widgets). Dana's room is taken by both agents at once (one gets it, the other is
 * told who has it) and later transferred; Erin's is taken by the other agent; Fay's arrives while the agent who
 * won has the console in a background tab, and they are notified. Fay sends a screenshot and sees the reply; a
 * private note in her room never reaches her widget; Dana gets a canned reply by `/shortcut`, her room is
 * closed, and staff find it again among the closed conversations and her past ones. At the end, every
 * conversation is read back: each customer message was answered once.
 *
 * Which agent wins the race is up to the server, so the story names the two by role: `first` took Dana's
 * room, `second` was told it was taken.
 */

interface Agent {
  readonly id: string;
  readonly page: Page;
}

let harness: WebHarness;
let sam: Agent;
let tess: Agent;
/** Who won the race for Dana's room, and who lost it. */
let first: Agent;
let second: Agent;
const widgets = {} as Record<'dana' | 'erin' | 'fay', Page>;
/** Every frame and API answer Fay's widget received, for the note that must not be among them. */
let fayTraffic: string[] = [];
const rooms = {} as Record<'dana' | 'erin' | 'fay' | 'danaAgain', Room>;

const DANA = 'My parcel is late';
const ERIN = 'Wrong size';
const FAY = 'Checkout error';
const NOTE = 'Internal: the checkout bug from this morning, engineering knows';
/** Summaries come a stream batch (1 s window) after the change. */
const SUMMARY = { timeout: 8_000 } as const;

beforeAll(async () => {
  harness = await startWebHarness();
  // Saved by a colleague the day before: the consoles read the team's replies when they start.
  await createCannedReply(await as('kim', true), {
    title: 'Refund offered',
    shortcut: 'refund',
    text: 'Hi {customer_name}, {agent_name} here: your refund is on its way.',
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

async function as(userId: string, staff = false): Promise<ChatHttp> {
  const token = await harness.stack.issuer.mint({ userId, staff });
  return new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
}

/** A console, signed in, with its tab's visibility and notifications emulated, notifications turned on. */
async function agent(id: string): Promise<Agent> {
  const { context, page } = await harness.open('/console.html');
  await emulateAttention(context);
  await page.reload();
  await signIn(page, id, 'staff');
  await page.getByText('No open rooms').waitFor();
  const button = page.getByRole('button', { name: 'Turn on notifications' });
  await button.click();
  await button.waitFor({ state: 'detached' });
  return { id, page };
}

/** A customer's widget, signed in, with a conversation started and its first message sent. */
async function startChat(userId: 'dana' | 'erin' | 'fay', name: string, subject: string, text: string) {
  const { page } = await harness.open('/widget.html', { width: 420, height: 760 });
  if (userId === 'fay') fayTraffic = recordTraffic(page);
  widgets[userId] = page;
  await signIn(page, userId, 'customer');
  await page.getByLabel('Your name (optional)').fill(name);
  await page.getByLabel('Subject').fill(subject);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await say(page, text);
}

/** Types into the page's composer and sends with Enter; waits until the page shows it sent. */
async function say(page: Page, text: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill(text);
  await composer.press('Enter');
  await page.locator('.message.mine .bubble', { hasText: text }).waitFor();
}

const queueItem = (page: Page, subject: string) => page.locator('.queue-item', { hasText: subject });
const assigneeLine = (page: Page) => page.getByTestId('assignee').textContent();
const answering = (page: Page, text: string) =>
  page.getByTestId('answering').filter({ hasText: text }).waitFor();
/** The replies from support a widget shows. */
const repliesIn = (page: Page) => page.locator('.message.theirs .bubble').allTextContents();

describe("an agent's day: two agents, three customers", () => {
  it('opens the day: both agents online, two customers start chats that both consoles see', async () => {
    sam = await agent('sam');
    tess = await agent('tess');
    await expect.poll(() => harness.stack.webSocket.connectionIds().length).toBe(2);
    await startChat('dana', 'Dana Scott', DANA, 'Order 1234 was due on Monday');
    await startChat('erin', 'Erin Lee', ERIN, 'The shoes are a size too small');
    for (const { page } of [sam, tess]) {
      await queueItem(page, DANA).waitFor();
      await queueItem(page, ERIN).waitFor();
    }
    for (const who of ['dana', 'erin'] as const) {
      const [room] = (await (await as(who)).listRooms()).results;
      rooms[who] = room as Room;
    }
  });

  it('gives Dana’s room to exactly one of the two agents who take it at once; the other is told', async () => {
    for (const { page } of [sam, tess]) {
      await queueItem(page, DANA).click();
      await page.locator('.bubble', { hasText: 'Order 1234' }).waitFor();
      await expect.poll(() => assigneeLine(page)).toBe('Unassigned');
    }
    const { released } = await holdBothAssigns([sam.page, tess.page]);
    const answers = [sam, tess].map(({ page }) =>
      page.waitForResponse((response) => response.url().endsWith('/assign')),
    );
    await Promise.all(
      [sam, tess].map(({ page }) => page.getByRole('button', { name: 'Take', exact: true }).click()),
    );
    await released;
    expect((await Promise.all(answers)).map((response) => response.status()).sort()).toEqual([200, 409]);
    const winner = (await (await as('dana')).getRoom(rooms.dana.id)).assignee_id;
    [first, second] = winner === 'sam' ? [sam, tess] : [tess, sam];
    expect(winner).toBe(first.id);

    await expect.poll(() => assigneeLine(first.page)).toBe('Assigned to you');
    await second.page
      .getByRole('alert')
      .filter({ hasText: `${first.id} has this room now. Nothing was changed.` })
      .waitFor();
    // The one told is asked before answering: no composer, so no second answer by accident.
    await second.page.getByTestId('answer-guard').waitFor();
    expect(await second.page.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    await answering(widgets.dana, `${first.id} is answering`);

    await say(first.page, 'Let me check with the courier');
    await widgets.dana.locator('.message.theirs .bubble', { hasText: 'check with the courier' }).waitFor();
  });

  it('transfers Dana’s room to the colleague, who answers it without being asked; Erin’s is taken too', async () => {
    await first.page.getByLabel('Transfer to').selectOption(second.id);
    await first.page.getByRole('button', { name: 'Transfer', exact: true }).click();
    await expect.poll(() => assigneeLine(first.page)).toBe(`Assigned to ${second.id}`);
    await expect.poll(() => assigneeLine(second.page)).toBe('Assigned to you');
    await answering(widgets.dana, `${second.id} is answering`);
    // The question before answering went with the room: the new assignee has the composer.
    await second.page.getByRole('textbox', { name: 'Message' }).waitFor();
    expect(await second.page.getByTestId('answer-guard').count()).toBe(0);
    // And the agent who gave it away is asked before answering it again.
    await first.page.getByTestId('answer-guard').waitFor();
    // The reply they gave while it was theirs is not relabelled as helping.
    const earlier = second.page.locator('.message.theirs', { hasText: 'check with the courier' });
    await expect.poll(() => earlier.locator('.sender').textContent()).toBe(`${first.id} (staff)`);

    // Erin's room: the second agent takes it alone and answers.
    await queueItem(second.page, ERIN).click();
    await second.page.locator('.bubble', { hasText: 'a size too small' }).waitFor();
    await second.page.getByRole('button', { name: 'Take', exact: true }).click();
    await expect.poll(() => assigneeLine(second.page)).toBe('Assigned to you');
    await say(second.page, 'I will send the next size up today');
    await widgets.erin.locator('.message.theirs .bubble', { hasText: 'next size up' }).waitFor();
    await expect
      .poll(() => queueItem(first.page, ERIN).getByTestId('queue-assignee').textContent(), SUMMARY)
      .toBe(`Assigned to ${second.id}`);
  });

  it('notifies the agent whose console is in a background tab of a new chat, and rings', async () => {
    // Nothing waits for the first agent: Dana's room is read, Erin's is a colleague's.
    await expect.poll(() => first.page.title(), SUMMARY).toBe('Support console');
    const tones = await chimeTones(first.page);
    await setView(first.page, false, false);

    await startChat('fay', 'Fay Wong', FAY, 'The payment page shows error 502');
    const [fayRoom] = (await (await as('fay')).listRooms()).results;
    rooms.fay = fayRoom as Room;
    await expect.poll(() => shownNotifications(first.page), SUMMARY).toHaveLength(1);
    const [shown] = await shownNotifications(first.page);
    expect(shown).toMatchObject({ title: 'New chat from Fay Wong', tag: `room-${rooms.fay.id}` });
    // The first summary the console gets may already carry her first message.
    expect([FAY, 'The payment page shows error 502']).toContain(shown?.body);
    expect(await chimeTones(first.page)).toBe(tones + 2);
    await expect.poll(() => first.page.title(), SUMMARY).toBe('(1) Support console');
    // The colleague was looking at the console: the queue showed it, nothing rang.
    await queueItem(second.page, FAY).waitFor();
    expect(await shownNotifications(second.page)).toEqual([]);

    // The agent clicks the notification: the console comes back with Fay's room open.
    await clickNewestNotification(first.page);
    await setView(first.page, true, true);
    await first.page.getByRole('region', { name: `Conversation: ${FAY}` }).waitFor();
    await first.page.getByRole('button', { name: 'Take', exact: true }).click();
    await expect.poll(() => assigneeLine(first.page)).toBe('Assigned to you');
    await answering(widgets.fay, `${first.id} is answering`);
    await expect.poll(() => first.page.title(), SUMMARY).toBe('Support console');
    await expectAccessible(first.page, 'console, a room opened from a notification and taken');
  });

  it('shows Fay’s screenshot to the agent, keeps their note internal and brings her their reply', async () => {
    const screenshot = await pngIn(widgets.fay, 1280, 800);
    await transfer(widgets.fay, 'paste', { name: 'image.png', type: 'image/png', bytes: screenshot });
    const tray = widgets.fay.getByRole('list', { name: 'Files to send' });
    await tray.getByText('Ready').waitFor({ timeout: 10_000 });
    await widgets.fay.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => tray.count()).toBe(0);
    const seen = first.page.getByTestId('attachment-thumbnail');
    await seen.waitFor({ timeout: 10_000 });
    await expect
      .poll(() =>
        seen.evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth),
      )
      .toBe(320);

    // A note for colleagues first, then the reply.
    const composer = first.page.getByRole('textbox', { name: 'Message' });
    const noteSwitch = first.page.getByRole('checkbox', { name: /Note/ });
    await noteSwitch.check();
    await composer.fill(NOTE);
    await first.page.getByRole('button', { name: 'Add note' }).click();
    await first.page.locator('.message.note .bubble', { hasText: NOTE }).waitFor();
    await noteSwitch.uncheck();
    await say(first.page, 'Thanks for the screenshot: it is fixed within the hour');

    await widgets.fay.locator('.message.theirs .bubble', { hasText: 'fixed within the hour' }).waitFor();
    await widgets.fay.getByTestId('attachment-thumbnail').waitFor();
    const consoleRows = await conversationRows(first.page);
    expect(consoleRows).toHaveLength(4);
    expect(consoleRows[2]).toBe(`note: ${NOTE}`);
    // The widget shows the same conversation without the note, and was never given it.
    expect(await conversationRows(widgets.fay)).toEqual(
      consoleRows.filter((row) => !row.startsWith('note:')),
    );
    expect(await widgets.fay.locator('body').textContent()).not.toContain('engineering');
    expect(fayTraffic.length).toBeGreaterThan(5);
    expect(fayTraffic.join('\n')).not.toContain(NOTE);
    expect(fayTraffic.join('\n')).not.toContain('"note"');
    await expectAccessible(widgets.fay, 'widget, a screenshot sent and answered');
  });

  it('inserts a canned reply by /shortcut for Dana, with her name and the agent’s filled in', async () => {
    await say(widgets.dana, 'Could I have a refund instead?');
    await queueItem(second.page, DANA).click();
    await second.page.locator('.bubble', { hasText: 'a refund instead' }).waitFor();
    const composer = second.page.getByRole('textbox', { name: 'Message' });
    await composer.click();
    await composer.pressSequentially('/ref');
    const options = second.page.getByTestId('canned-options').getByRole('option');
    await expect.poll(() => options.allTextContents()).toEqual(['/refund Refund offered']);
    await composer.press('Enter');
    const filled = `Hi Dana Scott, ${second.id} here: your refund is on its way.`;
    await expect.poll(() => composer.inputValue()).toBe(filled);
    await composer.press('Enter');
    await second.page.locator('.message.mine .bubble', { hasText: filled }).waitFor();
    await widgets.dana.locator('.message.theirs .bubble', { hasText: filled }).waitFor();
  });

  it('closes Dana’s room and finds it again among the closed conversations and her past ones', async () => {
    await second.page.getByRole('button', { name: 'Close', exact: true }).click();
    await second.page.getByRole('button', { name: 'Yes, close' }).click();
    await widgets.dana.locator('.closed-note', { hasText: 'This chat has ended.' }).waitFor();
    await expectAccessible(widgets.dana, 'widget, chat closed by the agent');

    await second.page.getByRole('button', { name: 'Closed conversations' }).click();
    const closed = second.page.getByTestId('closed-rooms').locator('.history-entry');
    await expect.poll(() => closed.allTextContents()).toEqual([`${DANA}Dana ScottClosed just now by you`]);

    // Dana comes back later the same day: the agent sees her earlier conversation beside the new one.
    await widgets.dana.getByRole('button', { name: 'Start a new chat' }).click();
    await widgets.dana.getByLabel('Subject').fill('Refund follow-up');
    await widgets.dana.getByRole('button', { name: 'Start chat' }).click();
    await say(widgets.dana, 'Has the refund gone out?');
    rooms.danaAgain = (await (await as('dana')).listRooms()).results.find(
      (room) => room.subject === 'Refund follow-up',
    ) as Room;
    await queueItem(first.page, 'Refund follow-up').click();
    const past = first.page.getByTestId('customer-history').locator('.history-entry');
    await expect.poll(() => past.allTextContents()).toEqual([`${DANA}Closed just now by ${second.id}`]);
    await first.page.getByTestId('customer-history').getByRole('link', { name: DANA }).click();
    await first.page.locator('.room h2', { hasText: DANA }).waitFor();
    await first.page.locator('.bubble', { hasText: 'your refund is on its way' }).waitFor();
  });

  it('answered no customer message twice: one reply per question, in every room', async () => {
    const staff = await as('kim', true);
    const senders = async (room: Room) =>
      (await staff.listMessages(room.id)).results.map((m) => `${m.sender_role}:${m.sender_id}`);
    expect(await senders(rooms.dana)).toEqual([
      'customer:dana',
      `staff:${first.id}`,
      'customer:dana',
      `staff:${second.id}`,
    ]);
    expect(await senders(rooms.erin)).toEqual(['customer:erin', `staff:${second.id}`]);
    expect(await senders(rooms.fay)).toEqual(['customer:fay', 'customer:fay', `staff:${first.id}`]);
    expect(await senders(rooms.danaAgain)).toEqual(['customer:dana']);
    // And what each customer saw: as many replies as the server holds, none repeated.
    expect(await repliesIn(widgets.erin)).toEqual(['I will send the next size up today']);
    expect(await repliesIn(widgets.fay)).toEqual(['Thanks for the screenshot: it is fixed within the hour']);
    // Staff were online all day: the team got no email about a new room, and nobody asked for replies by it.
    await harness.stack.stream.flush();
    expect(harness.stack.mail.messages()).toEqual([]);
  });
});
