import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import type { Room } from '../../client/wire.js';
import { expectAccessible } from '../support/axe.js';
import { holdBothAssigns } from './assign-race.js';
import { signIn, startWebHarness, type WebHarness } from './harness.js';

// Two agents and a customer in Chromium: both take one room at the same moment, exactly one gets it; the
// other is asked before answering it, and their reply shows as helping; the room is transferred; the
// customer sees who is answering by name.
let harness: WebHarness;
let sam: Page;
let tess: Page;
let widget: Page;
let room: Room;
const SUBJECT = 'My parcel is late';

beforeAll(async () => {
  harness = await startWebHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

async function customer(userId: string): Promise<ChatHttp> {
  const token = await harness.stack.issuer.mint({ userId });
  return new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
}

const assigneeLine = (page: Page) => page.getByTestId('assignee').textContent();

describe('assignment in the console and the widget', () => {
  it('lists unassigned rooms longest-waiting first, with how long each has waited', async () => {
    // Two older rooms, opened before the customer's own.
    const first = await customer('early-1');
    const older = await first.createRoom({ subject: 'Oldest question' });
    const second = await customer('early-2');
    await second.createRoom({ subject: 'Second question' });

    // Staff first: with nobody online the widget asks for an email address to answer by.
    ({ page: sam } = await harness.open('/console.html'));
    await signIn(sam, 'sam', 'staff');
    ({ page: tess } = await harness.open('/console.html'));
    await signIn(tess, 'tess', 'staff');
    for (const page of [sam, tess])
      await page.locator('.queue-item', { hasText: 'Second question' }).waitFor();

    ({ page: widget } = await harness.open('/widget.html', { width: 420, height: 760 }));
    await signIn(widget, 'dana', 'customer');
    await widget.getByLabel('Subject').fill(SUBJECT);
    await widget.getByRole('button', { name: 'Start chat' }).click();
    const composer = widget.getByRole('textbox', { name: 'Message' });
    await composer.fill('Order 1234 was due on Monday');
    await composer.press('Enter');
    await widget.getByTestId('answering').filter({ hasText: 'Waiting for someone from support' }).waitFor();
    for (const page of [sam, tess]) await page.locator('.queue-item', { hasText: SUBJECT }).waitFor();

    await sam.getByRole('button', { name: 'Unassigned', exact: true }).click();
    const subjects = () => sam.$$eval('.queue-item .subject', (items) => items.map((i) => i.textContent));
    await expect.poll(subjects).toEqual(['Oldest question', 'Second question', SUBJECT]);
    const oldest = sam.locator('.queue-item', { hasText: 'Oldest question' }).getByTestId('queue-assignee');
    expect(await oldest.textContent()).toMatch(/^Waiting (under a minute|\d+ min)$/);
    expect(await oldest.locator('time').getAttribute('datetime')).toBe(older.created_at);
    await expectAccessible(sam, 'console, unassigned rooms');
    await sam.getByRole('button', { name: 'All open', exact: true }).click();
    room = (await (await customer('dana')).listRooms()).results[0] as Room;
  });

  it('gives the room to exactly one of two agents who take it at the same moment', async () => {
    for (const page of [sam, tess]) {
      await page.locator('.queue-item', { hasText: SUBJECT }).click();
      await page.locator('.bubble', { hasText: 'Order 1234' }).waitFor();
      await expect.poll(() => assigneeLine(page)).toBe('Unassigned');
    }
    await expectAccessible(sam, 'console, unassigned room open');
    const { released } = await holdBothAssigns([sam, tess]);
    const answers = [sam, tess].map((page) =>
      page.waitForResponse((response) => response.url().endsWith('/assign')),
    );
    await Promise.all([
      sam.getByRole('button', { name: 'Take', exact: true }).click(),
      tess.getByRole('button', { name: 'Take', exact: true }).click(),
    ]);
    await released;
    // Exactly one of the two requests that reached the server together won.
    expect((await Promise.all(answers)).map((response) => response.status()).sort()).toEqual([200, 409]);

    const stored = (await (await customer('dana')).getRoom(room.id)).assignee_id;
    expect(['sam', 'tess']).toContain(stored);
    const [winner, loser, winnerName] = stored === 'sam' ? [sam, tess, 'sam'] : [tess, sam, 'tess'];
    await expect.poll(() => assigneeLine(winner)).toBe('Assigned to you');
    await expect.poll(() => assigneeLine(loser)).toBe(`Assigned to ${winnerName}`);
    // The loser is told, and nothing of theirs changed.
    await loser
      .getByRole('alert')
      .filter({ hasText: `${winnerName} has this room now. Nothing was changed.` })
      .waitFor();
    // The customer sees who is answering, by name.
    await widget
      .getByTestId('answering')
      .filter({ hasText: `${winnerName} is answering` })
      .waitFor();
    await expectAccessible(widget, 'widget, someone answering');

    // The loser is asked before answering; their reply then shows as helping.
    await loser.getByTestId('answer-guard').waitFor();
    expect(await loser.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    await expectAccessible(loser, 'console, room someone else has');
    await loser.getByRole('button', { name: 'Reply anyway' }).click();
    const reply = loser.getByRole('textbox', { name: 'Message' });
    await expect.poll(() => reply.evaluate((el) => el === document.activeElement)).toBe(true);
    await reply.fill('I can help with the refund part');
    await reply.press('Enter');
    const loserName = winnerName === 'sam' ? 'tess' : 'sam';
    const helped = winner.locator('.message.theirs', { hasText: 'I can help with the refund part' });
    await helped.waitFor();
    expect(await helped.locator('.sender').textContent()).toBe(`${loserName} (helping)`);
    // Asked once per room: the composer stays.
    await loser.locator('.queue-item', { hasText: 'Oldest question' }).click();
    await loser.locator('.queue-item', { hasText: SUBJECT }).click();
    await loser.getByRole('textbox', { name: 'Message' }).waitFor();
    expect(await loser.getByTestId('answer-guard').count()).toBe(0);
  });

  it('transfers the room to a colleague; the queue and the customer follow', async () => {
    const stored = (await (await customer('dana')).getRoom(room.id)).assignee_id;
    const [from, to, toName] = stored === 'sam' ? [sam, tess, 'tess'] : [tess, sam, 'sam'];
    await from.getByLabel('Transfer to').selectOption(toName);
    await from.getByRole('button', { name: 'Transfer', exact: true }).click();
    await expect.poll(() => assigneeLine(from)).toBe(`Assigned to ${toName}`);
    await expect.poll(() => assigneeLine(to)).toBe('Assigned to you');
    await widget
      .getByTestId('answering')
      .filter({ hasText: `${toName} is answering` })
      .waitFor();
    // The queue shows who has it: the new assignee's own queue says "Yours", the other's names them.
    const tag = (page: Page) =>
      page.locator('.queue-item', { hasText: SUBJECT }).getByTestId('queue-assignee').textContent();
    await expect.poll(() => tag(to), { timeout: 5_000 }).toBe('Yours');
    await expect.poll(() => tag(from), { timeout: 5_000 }).toBe(`Assigned to ${toName}`);
    // The new assignee's composer needs no question.
    await to.getByRole('textbox', { name: 'Message' }).waitFor();
    await expectAccessible(to, 'console, room assigned to me');

    // Unassigning puts it back among the unassigned rooms.
    await to.getByRole('button', { name: 'Unassign', exact: true }).click();
    await expect.poll(() => assigneeLine(to)).toBe('Unassigned');
    await widget.getByTestId('answering').filter({ hasText: 'You are talking with' }).waitFor();
  });
});
