import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatHttp } from '../../client/http.js';
import { expectAccessible } from '../support/axe.js';
import { TestSocket } from '../support/socket.js';
import {
  clickLauncher,
  type EmbedHarness,
  keptSession,
  startEmbedHarness,
  widgetFrame,
} from './embed-harness.js';

let harness: EmbedHarness;
let staff: ChatHttp;

beforeAll(async () => {
  harness = await startEmbedHarness({ preChat: 'required' });
  const token = await harness.stack.issuer.mint({ userId: 'sam', staff: true });
  staff = new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

/** A new visitor on the demo shop with the chat open, and the rooms it asks to create. */
async function visitor(): Promise<{ page: Page; frame: Frame; creates: string[] }> {
  const { page } = await harness.open(`${harness.demo.url}/`, { width: 1100, height: 760 });
  const creates: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/chat/rooms')
      creates.push(request.postData() ?? '');
  });
  const frame = await widgetFrame(page);
  await clickLauncher(page);
  await frame.getByLabel('Subject').waitFor();
  return { page, frame, creates };
}

const alert = (frame: Frame) => frame.getByRole('alert').textContent();

describe('pre-chat and offline in the embedded widget (preChat: required)', () => {
  it('says nobody is online, and still takes the message and an email address; the room waits in the queue', async () => {
    const { frame, creates } = await visitor();
    await frame.getByTestId('offline').waitFor();
    expect(await frame.getByTestId('offline').textContent()).toContain(
      'Nobody from support is online right now',
    );
    await expectAccessible(frame, 'embedded widget, offline pre-chat form');
    const send = frame.getByRole('button', { name: 'Send message' });
    await send.click();
    expect(await alert(frame)).toBe('Please tell us your name.');
    await expectAccessible(frame, 'embedded widget, pre-chat form with an error');
    await frame.getByLabel('Your name').fill('Grace Hopper');
    await send.click();
    expect(await alert(frame)).toBe('Please give an email address, so we can reply.');
    await frame.getByLabel('Email').fill('grace@example');
    await send.click();
    expect(await alert(frame)).toBe('That email address does not look right.');
    await frame.getByLabel('Email').fill('grace@navy.example');
    await send.click();
    expect(await alert(frame)).toBe('Please write your message.');
    expect(creates).toEqual([]);

    await frame.getByLabel('Subject').fill('Delivery to an island');
    await frame.getByLabel('Your message').fill('Do you deliver to Orkney?');
    await send.click();
    await frame.locator('.message.mine .bubble', { hasText: 'Do you deliver to Orkney?' }).waitFor();
    await expectAccessible(frame, 'embedded widget, offline message left');
    expect(creates).toHaveLength(1);
    expect(JSON.parse(creates[0] as string)).toMatchObject({ page_url: `${harness.demo.url}/` });

    const room = (await staff.activeRooms()).results.find((r) => r.subject === 'Delivery to an island');
    expect(room).toMatchObject({ status: 'open', staff_ids: [], customer_name: 'Grace Hopper' });
    expect(room?.last_message?.preview).toBe('Do you deliver to Orkney?');
    const detail = await staff.getRoom(room?.id as string);
    expect(detail.customer).toMatchObject({
      user_id: (await keptSession(frame))?.user_id,
      name: 'Grace Hopper',
      email: 'grace@navy.example',
      kind: 'guest',
      verified: false,
      page_url: `${harness.demo.url}/`,
    });
  });

  it('blocks the first message until a name and an email are given, when support is online', async () => {
    const token = await harness.stack.issuer.mint({ userId: 'sam', staff: true });
    const online = await TestSocket.open(harness.stack, { token });
    // The stack shares one reading of who is online for a few seconds: wait until it says so.
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${harness.baseUrl}/api/chat/support-status`)).json()) as { online: boolean })
            .online,
        { timeout: 15_000 },
      )
      .toBe(true);
    try {
      const { frame, creates } = await visitor();
      const start = frame.getByRole('button', { name: 'Start chat' });
      await start.waitFor();
      expect(await frame.getByTestId('offline').count()).toBe(0);
      expect(await frame.getByLabel('Your message').count()).toBe(0);
      await expectAccessible(frame, 'embedded widget, online pre-chat form');
      await frame.getByLabel('Subject').fill('Colours');
      await start.click();
      expect(await alert(frame)).toBe('Please tell us your name.');
      await frame.getByLabel('Email').fill('linus@example.org');
      await start.click();
      expect(await alert(frame)).toBe('Please tell us your name.');
      expect(creates).toEqual([]);
      await frame.getByLabel('Your name').fill('Linus');
      await start.click();
      const composer = frame.getByRole('textbox', { name: 'Message' });
      await composer.fill('Is there a blue one?');
      await composer.press('Enter');
      await frame.locator('.message.mine .bubble', { hasText: 'Is there a blue one?' }).waitFor();
      expect(creates).toHaveLength(1);
      const room = (await staff.activeRooms()).results.find((r) => r.subject === 'Colours');
      expect(room?.customer_name).toBe('Linus');
    } finally {
      await online.close();
    }
  });
});
