import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ChatHttp } from '../../client/http.js';
import { ChatSocket, ticketAuth } from '../../client/socket.js';
import { syncCustomerName } from '../../lambdas/domain/people.js';
import { createDocumentClient, DynamoMeter } from '../../lambdas/storage/client.js';
import { DynamoStore } from '../../lambdas/storage/dynamo-store.js';
import { sessionToken } from '../auth/tokens.js';
import { signIn, startWebHarness, type WebHarness } from '../web/harness.js';

// The console in Chromium shows people by name: queue rows, message senders, typing, staff online, and the
// customer panel beside the conversation. Everyone acts over HTTP (a guest and a host site's user with session
// tokens); only the verified profile, which the identity exchange writes, is written through the store.
let harness: WebHarness;
let page: Page;
let store: DynamoStore;
const dialogs: string[] = [];
/** Summaries come a stream batch (1 s window) after the change. */
const SUMMARY = { timeout: 5_000 } as const;
const PAGE_URL = 'https://shop.example.com/orders/42?ref=<b>mail</b>&x="y"';
const GUEST = 'guest_6f1c2a9e8b3d4c7a';
const GRACE = 'site_grace';

beforeAll(async () => {
  harness = await startWebHarness();
  store = new DynamoStore(createDocumentClient(new DynamoMeter()), {
    tableName: harness.stack.tableName,
    openRoomShards: 1,
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

async function session(userId: string, kind: 'guest' | 'verified'): Promise<ChatHttp> {
  const token = await sessionToken(harness.stack, userId, kind);
  return new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
}

async function person(userId: string, staff = false): Promise<ChatHttp> {
  const token = await harness.stack.issuer.mint({ userId, staff });
  return new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
}

const row = (name: string) => page.locator('.queue-item', { hasText: name });
const panel = () => page.getByRole('complementary', { name: 'Customer' });

describe('names in the console', () => {
  let ada: ChatHttp;
  let adaRoom: string;

  it('lists rooms by their customers’ names: a named account, a verified user, a guest without a name', async () => {
    ada = await person('ada');
    await ada.updateProfile({ name: 'Ada Lovelace', email: 'ada@example.com' });
    adaRoom = (await ada.createRoom({ subject: 'Parcel', page_url: PAGE_URL })).id;
    await ada.sendMessage(adaRoom, 'Where is my parcel?');
    await (await person('sam', true)).updateProfile({ name: 'Sam Support' });
    await (await person('tess', true)).updateProfile({ name: 'Tess Tessier' });

    // Grace signed in on the host site: the identity exchange wrote her verified profile (through the store
    // here); she and a guest without a name open their rooms with session tokens.
    await store.putVerifiedProfile(
      GRACE,
      { name: 'Grace Hopper', email: 'grace@navy.mil' },
      new Date().toISOString(),
    );
    await (await session(GRACE, 'verified')).createRoom({
      subject: 'Invoice',
      page_url: 'https://shop.example.com/billing',
    });
    await (await session(GUEST, 'guest')).createRoom({ subject: 'Question' });

    ({ page } = await harness.open('/console.html'));
    page.on('dialog', (dialog) => void dialogs.push(dialog.message()));
    await signIn(page, 'sam', 'staff');
    await expect
      .poll(() => row('Parcel').getByTestId('queue-customer').textContent(), SUMMARY)
      .toBe('Ada Lovelace · general');
    expect(await row('Invoice').getByTestId('queue-customer').textContent()).toBe('Grace Hopper · general');
    expect(await row('Question').getByTestId('queue-customer').textContent()).toBe('Guest 4c7a · general');
  });

  it('shows the customer beside the conversation, the page URL a plain-text link that opens apart', async () => {
    await row('Parcel').click();
    await expect.poll(() => panel().getByTestId('customer-name').textContent()).toBe('Ada Lovelace Account');
    expect(await panel().getByTestId('customer-email').textContent()).toBe('ada@example.com');
    const link = panel().getByRole('link');
    expect(await link.textContent()).toBe(PAGE_URL);
    expect(await link.getAttribute('href')).toBe(new URL(PAGE_URL).href);
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    // The URL's markup is text: no element came of it.
    expect(await panel().locator('b').count()).toBe(0);
    expect(await page.locator('.message.theirs .sender').first().textContent()).toBe('Ada Lovelace');
    expect(await page.locator('.room-header').textContent()).toContain('Ada Lovelace · general');
    expect(await page.getByRole('textbox', { name: 'Message' }).getAttribute('placeholder')).toBe(
      'Reply to Ada Lovelace (sending joins the room)',
    );
    // The page is in landmarks: the queue, the conversation, the customer.
    expect(await page.getByRole('complementary', { name: 'Rooms' }).count()).toBe(1);
    expect(await page.getByRole('main').getByRole('complementary', { name: 'Customer' }).count()).toBe(1);
  });

  it('names staff by their profiles: senders, the room header, staff online', async () => {
    const tess = await person('tess', true);
    await tess.sendMessage(adaRoom, 'Tess here, looking into it');
    await expect
      .poll(() => page.locator('.message.theirs.staff .sender').first().textContent(), SUMMARY)
      .toBe('Tess Tessier (staff)');
    await expect
      .poll(() => page.locator('.room-header').textContent(), SUMMARY)
      .toContain('with Tess Tessier');
    await expect
      .poll(() => page.locator('.staff-online').textContent(), SUMMARY)
      .toContain('Sam Support (you)');
    expect(await page.locator('.topbar .me').textContent()).toContain('Sam Support');
  });

  it('names the customer typing, in the conversation and in the queue row', async () => {
    const token = await harness.stack.issuer.mint({ userId: 'ada' });
    const http = new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
    const socket = new ChatSocket({
      url: harness.stack.wsUrl,
      http,
      auth: ticketAuth(http),
      WebSocket: WebSocket as never,
    });
    socket.connect();
    await socket.follow(adaRoom);
    socket.typing(adaRoom);
    await expect
      .poll(() => page.getByTestId('typing').textContent(), SUMMARY)
      .toBe('Ada Lovelace is typing…');
    // The queue row says who, too.
    expect(await row('Parcel').locator('.preview').textContent()).toBe('Ada Lovelace is typing…');
    socket.close();
  });

  it('shows a verified user and a guest with their badges', async () => {
    await row('Invoice').click();
    await expect.poll(() => panel().getByTestId('customer-name').textContent()).toBe('Grace Hopper Verified');
    expect(await panel().getByTestId('customer-email').textContent()).toBe('grace@navy.mil');
    expect(await panel().getByRole('link').textContent()).toBe('https://shop.example.com/billing');
    await row('Question').click();
    await expect.poll(() => panel().getByTestId('customer-name').textContent()).toBe('Guest 4c7a Guest');
    expect(await panel().getByTestId('customer-email').textContent()).toBe('Not given');
    expect(await panel().getByTestId('customer-page').textContent()).toBe('Not known');
    expect(await panel().getByRole('link').count()).toBe(0);
  });

  it('follows a new name live: the queue row from the stream, the panel read again', async () => {
    await row('Parcel').click();
    await expect.poll(() => panel().getByTestId('customer-name').textContent()).toBe('Ada Lovelace Account');
    await ada.updateProfile({ name: 'Augusta Ada King' });
    await expect
      .poll(() => row('Parcel').getByTestId('queue-customer').textContent(), SUMMARY)
      .toBe('Augusta Ada King · general');
    await expect
      .poll(() => panel().getByTestId('customer-name').textContent(), SUMMARY)
      .toBe('Augusta Ada King Account');
    expect(await page.locator('.message.theirs.customer .sender').first().textContent()).toBe(
      'Augusta Ada King',
    );
    expect(dialogs).toEqual([]);
  });

  it('shows a guest who signed in on the website as that person, live', async () => {
    await row('Question').click();
    await expect.poll(() => panel().getByTestId('customer-name').textContent()).toBe('Guest 4c7a Guest');
    // What an upgrade does to the profiles (the sessions helper's exchange), then the room's name follows.
    const at = new Date().toISOString();
    await store.putVerifiedProfile('site_alan', { name: 'Alan Turing', email: 'alan@example.com' }, at);
    await store.linkProfile(GUEST, 'site_alan', at);
    expect(await syncCustomerName({ store }, GUEST)).toBe(1);
    await expect
      .poll(() => row('Question').getByTestId('queue-customer').textContent(), SUMMARY)
      .toBe('Alan Turing · general');
    await expect
      .poll(() => panel().getByTestId('customer-name').textContent(), SUMMARY)
      .toBe('Alan Turing Verified');
    expect(await panel().getByTestId('customer-email').textContent()).toBe('alan@example.com');
  });
});
