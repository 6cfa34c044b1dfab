import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import { expectAccessible } from '../support/axe.js';
import { api } from '../support/stack.js';
import { signIn, startWebHarness, type WebHarness } from './harness.js';

// Replies by email, from the widget's side, in Chromium: the customer asks for them, confirms the address by
// the link the local SES stand-in captured (its page asks, and Confirm spends it), and, once away, gets
// exactly one email for the staff replies, whose link opens the conversation again. The console's customer
// panel says whether the address is confirmed.

const ERIN = 'erin@example.com';
const SUBJECT = 'Parcel never came';
let harness: WebHarness;
let context: BrowserContext;
let widget: Page;
let roomId: string;

beforeAll(async () => {
  harness = await startWebHarness();
  const token = await harness.stack.issuer.mint({ userId: 'sam', staff: true });
  await new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token }).updateProfile({
    name: 'Sam Agent',
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

const mailsTo = (address: string) => harness.stack.mail.to(address);
const repliesTo = (address: string) => mailsTo(address).filter((mail) => mail.subject.includes('replied'));

/** The first link in a captured email's text. */
function linkIn(text: string): string {
  const match = /https?:\/\/\S+/.exec(text);
  if (!match) throw new Error(`no link in:\n${text}`);
  return match[0];
}

/** Erin's own token, for what the test does behind the page's back (the same person, another device). */
const erinApi = async () => api(harness.stack, await harness.stack.issuer.mint({ userId: 'erin' }));

describe('replies by email, in the widget', () => {
  it('offers "Email me replies" in the conversation and sends one confirmation link', async () => {
    ({ context, page: widget } = await harness.open('/widget.html', { width: 420, height: 760 }));
    await signIn(widget, 'erin', 'customer');
    // Nobody from support is online: the offline form asks for an address and the first message.
    await widget.getByTestId('offline').waitFor();
    await widget.getByLabel('Email', { exact: true }).fill(ERIN);
    await widget.getByLabel('Subject').fill(SUBJECT);
    await widget.getByLabel('Your message').fill('It was due on Monday');
    await widget.getByRole('button', { name: 'Send message' }).click();
    await widget.locator('.chat h2', { hasText: SUBJECT }).waitFor();
    const offer = widget.getByTestId('email-replies');
    await offer.getByRole('button', { name: 'Email me replies' }).waitFor();
    expect(await offer.textContent()).toContain(`We will send a link to ${ERIN} to confirm it.`);
    await expectAccessible(widget, 'widget, email replies offered');

    await offer.getByRole('button', { name: 'Email me replies' }).click();
    await offer.getByText(`Check your inbox to confirm ${ERIN}.`).waitFor();
    await expectAccessible(widget, 'widget, confirmation link sent');
    expect(mailsTo(ERIN).map((mail) => mail.subject)).toEqual([
      'Confirm your email address for chat replies',
    ]);
    const rooms = (await (await erinApi()).get('/rooms/')).body.results as { id: string }[];
    expect(rooms).toHaveLength(1);
    roomId = rooms[0]?.id as string;
  });

  it('says so in words when too many links were asked for (429)', async () => {
    // Two more from elsewhere make three this hour: the fourth, from the page, is refused.
    const other = await erinApi();
    for (let i = 0; i < 2; i++) expect((await other.post('/email-confirmations/')).status).toBe(202);
    const offer = widget.getByTestId('email-replies');
    await offer.getByRole('button', { name: 'Use another address' }).click();
    const field = offer.getByLabel('Email me replies at');
    expect(await field.inputValue()).toBe(ERIN);
    await expectAccessible(widget, 'widget, typing the address for replies');
    await offer.getByRole('button', { name: 'Send link' }).click();
    await widget
      .getByTestId('email-replies-error')
      .getByText('We have sent you several confirmation emails already', { exact: false })
      .waitFor();
    await expectAccessible(widget, 'widget, too many confirmation links');
    expect(mailsTo(ERIN)).toHaveLength(3);
  });

  it('confirms the address by the captured link once Confirm is pressed, and tells of a used link', async () => {
    const link = linkIn(mailsTo(ERIN)[0]?.text ?? '');
    expect(link).toMatch(new RegExp(`^${harness.baseUrl}/api/chat/email-confirmations/[\\w-]{43}$`));
    // Opened in the same tab, as from a webmail: the link's GET spends nothing and sends the page to the
    // widget, which asks (a mail scanner that opened it first confirmed nothing).
    await widget.goto(link);
    const question = widget.getByTestId('email-confirmation');
    await question.getByText('Confirm your email address for replies by email?').waitFor();
    // The token is taken off the address bar, so a reload does not ask again.
    expect(new URL(widget.url()).search).toBe('');
    await widget.locator('.chat h2', { hasText: SUBJECT }).waitFor();
    const confirm = question.getByRole('button', { name: 'Confirm', exact: true });
    await widget.waitForFunction(() => document.activeElement?.textContent === 'Confirm');
    expect(await confirm.evaluate((button) => button === document.activeElement)).toBe(true);
    await expectAccessible(widget, 'widget, asked to confirm the email address');
    expect((await (await erinApi()).get('/profile/')).body.email_confirmed).toBe(false);

    await confirm.click();
    const notice = widget.getByTestId('email-confirmed');
    await notice.getByText(`Thank you: your email address ${ERIN} is confirmed.`, { exact: false }).waitFor();
    expect(await notice.getAttribute('role')).toBe('status');
    expect(await question.count()).toBe(0);
    await widget
      .getByTestId('email-replies')
      .getByText(`Replies come to ${ERIN} when you are away.`)
      .waitFor();
    await expectAccessible(widget, 'widget, email confirmed notice');
    await widget.reload();
    await widget
      .getByTestId('email-replies')
      .getByText(`Replies come to ${ERIN} when you are away.`)
      .waitFor();
    expect(await notice.count()).toBe(0);
    expect(await question.count()).toBe(0);
    // Opened again and confirmed from the keyboard: the page says in words that it was used already.
    await widget.goto(link);
    await question.getByRole('button', { name: 'Confirm', exact: true }).waitFor();
    await widget.waitForFunction(() => document.activeElement?.textContent === 'Confirm');
    await widget.keyboard.press('Enter');
    await widget
      .getByTestId('email-confirmation-refused')
      .getByText('This confirmation link was used already.', { exact: false })
      .waitFor();
    expect(new URL(widget.url()).search).toBe('');
    await widget
      .getByTestId('email-replies')
      .getByText(`Replies come to ${ERIN} when you are away.`)
      .waitFor();
    await expectAccessible(widget, 'widget, confirmation link used already');
  });

  it('shows staff in the customer panel that the address is confirmed', async () => {
    const { page: console } = await harness.open('/console.html');
    await signIn(console, 'sam', 'staff');
    await console.locator('.queue-item', { hasText: SUBJECT }).click();
    const status = console.getByTestId('customer-email-status');
    await status.getByText('Confirmed', { exact: true }).waitFor();
    expect(await status.textContent()).toBe('Confirmed Replies are emailed to them while they are away.');
    await expectAccessible(console, 'console, customer with a confirmed email');

    // Erin goes away: her page is closed, and her socket with it.
    const sockets = harness.stack.webSocket.connectionIds().length;
    await widget.goto('about:blank');
    await expect.poll(() => harness.stack.webSocket.connectionIds().length).toBe(sockets - 1);

    await console.getByRole('button', { name: 'Join', exact: true }).click();
    await console.getByRole('button', { name: 'Leave', exact: true }).waitFor();
    const composer = console.getByRole('textbox', { name: 'Message' });
    await composer.fill('It left our warehouse today');
    await composer.press('Enter');
    await console.locator('.message.mine .bubble', { hasText: 'It left our warehouse today' }).waitFor();
    await expect.poll(() => repliesTo(ERIN).length, { timeout: 10_000 }).toBe(1);
    // A second reply within the conversation's window sends nothing more.
    await composer.fill('Tracking number to follow');
    await composer.press('Enter');
    await console.locator('.message.mine .bubble', { hasText: 'Tracking number to follow' }).waitFor();
    await harness.stack.stream.flush();
    expect(repliesTo(ERIN)).toHaveLength(1);
    const [reply] = repliesTo(ERIN);
    expect(reply?.subject).toBe(`Sam Agent replied to your conversation about "${SUBJECT}"`);
    expect(reply?.text).toContain('It left our warehouse today');
  });

  it('opens the conversation from the reply email’s link, even with a newer one open', async () => {
    const link = linkIn(repliesTo(ERIN)[0]?.text ?? '');
    expect(link).toBe(`${harness.baseUrl}/widget.html?room=${roomId}`);
    // Meanwhile Erin started another chat, which the widget would show first without the link.
    expect((await (await erinApi()).post('/rooms/', { subject: 'Another question' })).status).toBe(201);
    // A new tab, as a mail client opens links: signed in there, the link's room opens.
    const tab = await context.newPage();
    await tab.goto(link);
    await signIn(tab, 'erin', 'customer');
    await tab.locator('.chat h2', { hasText: SUBJECT }).waitFor();
    await tab.locator('.bubble', { hasText: 'It left our warehouse today' }).waitFor();
    expect(new URL(tab.url()).search).toBe('');
    await expectAccessible(tab, 'widget, conversation opened from a reply email');
  });

  it('starts as usual when the linked room is not this person’s', async () => {
    const { page } = await harness.open(`/widget.html?room=${roomId}`, { width: 420, height: 760 });
    await signIn(page, 'fred', 'customer');
    await page.getByRole('heading', { name: 'How can we help?' }).waitFor();
    expect(await page.locator('.error.banner').count()).toBe(0);
    expect(await page.locator('.chat').count()).toBe(0);
  });
});
