import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../support/axe.js';
import { conversationRows, recordTraffic } from './conversation-probe.js';
import { shows, signIn, startWebHarness, type WebHarness } from './harness.js';

// Internal notes and canned replies in Chromium: an agent writes a note the customer never receives (not on
// screen, not in any frame or answer the widget gets), and inserts a canned reply with its placeholders filled.
let harness: WebHarness;
let consolePage: Page;
let widgetPage: Page;
let colleaguePage: Page;
/** Every WebSocket frame and API answer the widget's page received, as text. */
let widgetTraffic: string[] = [];

const SUBJECT = 'Damaged parcel';
const NOTE = 'Internal: second damaged parcel this month, offer a refund';

beforeAll(async () => {
  harness = await startWebHarness();
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

describe('internal notes and canned replies in the console', () => {
  it('shows a note to staff among the messages, styled apart, and never to the customer', async () => {
    ({ page: consolePage } = await harness.open('/console.html'));
    await signIn(consolePage, 'sam', 'staff');
    await shows(consolePage, '.empty', 'No open rooms');
    await expect.poll(() => harness.stack.webSocket.connectionIds()).toHaveLength(1);

    ({ page: widgetPage } = await harness.open('/widget.html', { width: 420, height: 760 }));
    widgetTraffic = recordTraffic(widgetPage);
    await signIn(widgetPage, 'carol', 'customer');
    // Pre-chat is optional locally: the name given here is the room's customer name.
    await widgetPage.getByLabel('Your name (optional)').fill('Carol Jones');
    await widgetPage.getByLabel('Subject').fill(SUBJECT);
    await widgetPage.getByRole('button', { name: 'Start chat' }).click();
    const composer = widgetPage.getByRole('textbox', { name: 'Message' });
    await composer.fill('My parcel arrived broken');
    await composer.press('Enter');

    await consolePage.locator('.queue-item', { hasText: SUBJECT }).click();
    await shows(consolePage, '.bubble', 'My parcel arrived broken');
    await consolePage.getByRole('button', { name: 'Join', exact: true }).click();
    await shows(widgetPage, '.chat-header', 'You are talking with sam');
    // A colleague has the room open too: the note reaches them live.
    ({ page: colleaguePage } = await harness.open('/console.html'));
    await signIn(colleaguePage, 'tess', 'staff');
    await colleaguePage.locator('.queue-item', { hasText: SUBJECT }).click();
    await shows(colleaguePage, '.bubble', 'My parcel arrived broken');

    const reply = consolePage.getByRole('textbox', { name: 'Message' });
    await consolePage.getByRole('checkbox', { name: /Note/ }).check();
    await expect.poll(() => reply.getAttribute('placeholder')).toBe('Internal note: only staff see it');
    await expectAccessible(consolePage, 'console, writing a note');
    await reply.pressSequentially(NOTE.slice(0, 12));
    await reply.fill(NOTE);
    await consolePage.getByRole('button', { name: 'Add note' }).click();
    await shows(consolePage, '.message.note .bubble', NOTE);
    expect(await consolePage.locator('.message.note .note-tag').textContent()).toBe('Internal note');
    await shows(colleaguePage, '.message.note .bubble', NOTE);
    expect(await colleaguePage.locator('.message.note .sender').textContent()).toBe('sam (staff)');
    await expectAccessible(consolePage, 'console, a note among the messages');

    // Back to a reply: it reaches the customer; the note, written before it, does not.
    await consolePage.getByRole('checkbox', { name: /Note/ }).uncheck();
    await reply.fill('Sorry about that, I will sort it out.');
    await reply.press('Enter');
    await shows(widgetPage, '.message.theirs .bubble', 'Sorry about that, I will sort it out.');
    await shows(consolePage, '.message.mine', 'Seen');
    expect(await conversationRows(consolePage)).toEqual([
      'My parcel arrived broken',
      `note: ${NOTE}`,
      'Sorry about that, I will sort it out.',
    ]);
    expect(await conversationRows(widgetPage)).toEqual([
      'My parcel arrived broken',
      'Sorry about that, I will sort it out.',
    ]);
    // Writing the note sent no "typing" to the customer either.
    expect(
      widgetTraffic.filter((t) => t.includes('"typing"') && t.includes('"is_typing":true')),
    ).toHaveLength(1);

    // The note survives a reload of the console (read back over HTTP), still in its place.
    await consolePage.reload();
    await consolePage.locator('.queue-item', { hasText: SUBJECT }).click();
    await shows(consolePage, '.message.note .bubble', NOTE);
    expect(await conversationRows(consolePage)).toEqual([
      'My parcel arrived broken',
      `note: ${NOTE}`,
      'Sorry about that, I will sort it out.',
    ]);

    // And the widget, reloaded too, reads its history again: still no note.
    await widgetPage.reload();
    await shows(widgetPage, '.message.theirs .bubble', 'Sorry about that, I will sort it out.');
    expect(await widgetPage.locator('body').textContent()).not.toContain('refund');
    expect(widgetTraffic.length).toBeGreaterThan(5);
    expect(widgetTraffic.join('\n')).not.toContain(NOTE);
    expect(widgetTraffic.join('\n')).not.toContain('"note"');
  });

  it('never turns a note being written into a reply after a reload (the composer comes back out of note mode)', async () => {
    const reply = consolePage.getByRole('textbox', { name: 'Message' });
    const noteSwitch = consolePage.getByRole('checkbox', { name: /Note/ });
    const unsent = 'Internal: customer is on the fraud watch list';
    await noteSwitch.check();
    await reply.fill(unsent);
    await consolePage.reload();
    await consolePage.locator('.queue-item', { hasText: SUBJECT }).click();
    await shows(consolePage, '.message.note .bubble', NOTE);
    // Back out of note mode, the composer must not hold the note's text ready to go to the customer.
    expect(await noteSwitch.isChecked()).toBe(false);
    expect(await reply.inputValue()).not.toContain(unsent);
    await reply.press('Enter');
    expect(widgetTraffic.join('\n')).not.toContain(unsent);
  });

  it('saves a canned reply and inserts it with /shortcut, its placeholders filled', async () => {
    await consolePage.getByRole('button', { name: 'Canned replies' }).click();
    const panel = consolePage.getByTestId('canned-panel');
    await panel.getByText('No canned replies yet.').waitFor();
    await panel.getByLabel('Title').fill('Refund offered');
    await panel.getByLabel('Shortcut').fill('refund');
    await panel
      .getByLabel('Text')
      .fill('Hi {customer_name}, {agent_name} here: we will refund the parcel today.');
    await panel.getByRole('button', { name: 'Add reply' }).click();
    await panel.locator('.canned-item', { hasText: 'Refund offered' }).waitFor();
    // A second reply with the same shortcut is refused, and the panel says why.
    await panel.getByLabel('Title').fill('Another');
    await panel.getByLabel('Shortcut').fill('refund');
    await panel.getByLabel('Text').fill('Something else');
    await panel.getByRole('button', { name: 'Add reply' }).click();
    await shows(consolePage, '.canned-panel .error', 'taken');
    await panel.getByLabel('Shortcut').fill('receipt');
    await panel.getByLabel('Text').fill('Your receipt is attached, {customer_name}.');
    await panel.getByRole('button', { name: 'Add reply' }).click();
    await panel.locator('.canned-item', { hasText: 'Another' }).waitFor();
    await expectAccessible(consolePage, 'console, canned replies');
    await consolePage.getByRole('button', { name: 'Back to the conversation' }).click();

    const reply = consolePage.getByRole('textbox', { name: 'Message' });
    await reply.click();
    await reply.pressSequentially('/re');
    const options = consolePage.getByTestId('canned-options').getByRole('option');
    await expect.poll(() => options.count()).toBe(2);
    expect(await options.allTextContents()).toEqual(['/receipt Another', '/refund Refund offered']);
    await expectAccessible(consolePage, 'console, completing a canned reply');
    await reply.pressSequentially('f');
    await expect.poll(() => options.count()).toBe(1);
    expect(await reply.getAttribute('aria-activedescendant')).toBe(await options.first().getAttribute('id'));
    await reply.press('Enter');
    await expect.poll(() => options.count()).toBe(0);

    // The agent is called as the console calls them (locally, their user id unless their profile says more).
    const agentName = (await consolePage.locator('.me > span:not(.avatar)').textContent()) ?? '';
    expect(agentName).toBe('sam');
    const filled = `Hi Carol Jones, ${agentName} here: we will refund the parcel today.`;
    await expect.poll(() => reply.inputValue()).toBe(filled);
    // Nothing was sent by the Enter that chose the reply; the next one sends it.
    expect(await conversationRows(widgetPage)).toHaveLength(2);
    await reply.press('Enter');
    await shows(widgetPage, '.message.theirs .bubble', filled);
    expect((await conversationRows(widgetPage)).at(-1)).toBe(filled);
  });

  it('closes the completion list with Escape and leaves the text as typed', async () => {
    const reply = consolePage.getByRole('textbox', { name: 'Message' });
    await reply.pressSequentially('see /rec');
    const options = consolePage.getByTestId('canned-options').getByRole('option');
    await expect.poll(() => options.count()).toBe(1);
    await reply.press('Escape');
    await expect.poll(() => options.count()).toBe(0);
    expect(await reply.inputValue()).toBe('see /rec');
    await reply.fill('');
  });
});
