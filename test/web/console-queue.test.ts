import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ChatHttp } from '../../client/http.js';
import { ChatSocket, type ChatSocketOptions, ticketAuth } from '../../client/socket.js';
import type { Room } from '../../client/wire.js';
import { expectAccessible } from '../support/axe.js';
import { signIn, startWebHarness, type WebHarness } from './harness.js';

const ROOMS = 6;
let harness: WebHarness;
let page: Page;
/** The local gateway's log: `WS subscribe <connection id> ok 3ms`, one line per frame a Lambda handled. */
const log: string[] = [];
/** Every frame the console's page sent, per WebSocket it opened. */
const sockets: Record<string, unknown>[][] = [];
/** Every frame the console's page received, all its WebSockets together. */
const received: { type: string; data: Record<string, unknown> }[] = [];
let rooms: Room[] = [];
let customers: ChatHttp[] = [];
let consoleConnection = '';
/** Summaries come a stream batch (1 s window) after the change: give a poll a few of them. */
const SUMMARY = { timeout: 5_000 } as const;

beforeAll(async () => {
  harness = await startWebHarness({ log: (line) => log.push(line) });
}, 60_000);

afterAll(async () => {
  await harness?.close();
});

async function customer(userId: string): Promise<ChatHttp> {
  const token = await harness.stack.issuer.mint({ userId });
  return new ChatHttp({ baseUrl: harness.baseUrl, getToken: () => token });
}

const subscribes = (frames: readonly Record<string, unknown>[]) =>
  frames.filter((f) => f.type === 'subscribe' || f.type === 'unsubscribe');

/** How many `subscribe` frames the gateway handed a Lambda for this connection. */
const subscribeCalls = (connectionId: string) =>
  log.filter((line) => line.startsWith(`WS subscribe ${connectionId} `)).length;

function item(subject: string) {
  return page.locator('.queue-item', { hasText: subject });
}

/** The types of the frames the page received about a room, other than its queue summaries. */
const framesAbout = (roomId: string) =>
  received
    .filter((f) => f.type !== 'queue' && (f.data.room_id === roomId || f.data.id === roomId))
    .map((f) => (f.type === 'room' ? `room:${String(f.data.event)}` : f.type));

describe('the console keeps its queue live with one subscription', () => {
  it('sends one queue subscription, not one per room, and counts unread messages live from summaries', async () => {
    customers = await Promise.all(Array.from({ length: ROOMS }, (_, i) => customer(`cust${i}`)));
    rooms = await Promise.all(customers.map((http, i) => http.createRoom({ subject: `Room ${i}` })));
    for (const [i, room] of rooms.entries()) await customers[i]?.sendMessage(room.id, `hello from ${i}`);

    ({ page } = await harness.open('/console.html'));
    page.on('websocket', (ws) => {
      const frames: Record<string, unknown>[] = [];
      sockets.push(frames);
      ws.on('framesent', (event) =>
        frames.push(JSON.parse(String(event.payload)) as Record<string, unknown>),
      );
      ws.on('framereceived', (event) => received.push(JSON.parse(String(event.payload))));
    });
    await signIn(page, 'sam', 'staff');
    for (let i = 0; i < ROOMS; i++)
      await expect.poll(() => item(`Room ${i}`).getByTestId('unread').textContent(), SUMMARY).toBe('1');
    await expect.poll(() => sockets[0]?.length ?? 0, SUMMARY).toBeGreaterThan(0);
    [consoleConnection] = harness.stack.webSocket.connectionIds() as [string];
    await expect.poll(() => subscribeCalls(consoleConnection), SUMMARY).toBe(1);

    // A room the console does not follow on its own: its messages and typing still show in the queue.
    const [first, second] = rooms as [Room, Room];
    await customers[0]?.sendMessage(first.id, 'are you there?');
    await expect.poll(() => item('Room 0').getByTestId('unread').textContent(), SUMMARY).toBe('2');
    await expect.poll(() => item('Room 0').locator('.preview').textContent(), SUMMARY).toBe('are you there?');
    const typist = new ChatSocket({
      url: harness.stack.wsUrl,
      http: customers[1] as ChatHttp,
      auth: ticketAuth(customers[1] as ChatHttp),
      WebSocket: WebSocket as unknown as ChatSocketOptions['WebSocket'],
      // Typing stops when the test says so, not after the client's idle pause: a slow batch must not race it.
      typingIdleMs: 60_000,
    });
    typist.connect();
    await typist.follow(second.id);
    typist.typing(second.id);
    await expect
      .poll(() => item('Room 1').locator('.preview').textContent(), SUMMARY)
      .toBe('cust1 is typing…');
    await expectAccessible(page, 'console, queue full, a customer typing');
    for (const filter of ['Unassigned', 'Mine', 'All open']) {
      await page.getByRole('button', { name: filter, exact: true }).click();
      await expectAccessible(page, `console, queue filtered: ${filter}`);
    }
    typist.stopTyping(second.id);
    await expect.poll(() => item('Room 1').locator('.preview').textContent(), SUMMARY).toBe('hello from 1');
    typist.close();

    // All of it came in queue summaries: not one frame of the rooms themselves.
    expect(received.filter((f) => f.type === 'queue').length).toBeGreaterThan(0);
    for (const room of rooms) expect(framesAbout(room.id)).toEqual([]);

    expect(subscribes(sockets[0] ?? [])).toEqual([{ type: 'subscribe', queue: true }]);
    expect(subscribeCalls(consoleConnection)).toBe(1);
  });

  it('follows only the room on screen, and lets it go when another one is opened', async () => {
    const [first, second] = rooms as [Room, Room];
    await item('Room 0').click();
    await page.locator('.bubble', { hasText: 'are you there?' }).waitFor();
    await item('Room 1').click();
    await page.locator('.bubble', { hasText: 'hello from 1' }).waitFor();
    await expect
      .poll(() => subscribes(sockets[0] ?? []))
      .toEqual([
        { type: 'subscribe', queue: true },
        { type: 'subscribe', room_id: first.id },
        { type: 'unsubscribe', room_id: first.id },
        { type: 'subscribe', room_id: second.id },
      ]);
    // The room left is still counted live by the queue, and its history comes back whole when reopened.
    await customers[0]?.sendMessage(first.id, 'still waiting');
    await expect.poll(() => item('Room 0').getByTestId('unread').textContent(), SUMMARY).toBe('1');
    await item('Room 0').click();
    await expect
      .poll(() => page.$$eval('[data-message-id] .bubble', (items) => items.map((i) => i.textContent)))
      .toEqual(['hello from 0', 'are you there?', 'still waiting']);
    await expect.poll(() => item('Room 0').getByTestId('unread').count(), SUMMARY).toBe(0);
  });

  it('adds a room created and drops a room closed while it watches, from summaries alone', async () => {
    const newcomer = await customer('newcomer');
    const fresh = await newcomer.createRoom({ subject: 'Room fresh' });
    await item('Room fresh').waitFor();
    expect(await item('Room fresh').locator('.tag.waiting').count()).toBe(1);
    await newcomer.sendMessage(fresh.id, 'first words');
    await expect.poll(() => item('Room fresh').getByTestId('unread').textContent(), SUMMARY).toBe('1');
    await expect
      .poll(() => item('Room fresh').locator('.preview').textContent(), SUMMARY)
      .toBe('first words');
    await newcomer.closeRoom(fresh.id);
    await expect.poll(() => item('Room fresh').count(), SUMMARY).toBe(0);
    expect(framesAbout(fresh.id)).toEqual([]);
  });

  it('after a reconnect, subscribes to the queue and the open room only, and reads the queue again', async () => {
    const [first, , third, fourth] = rooms as [Room, Room, Room, Room];
    await page.route('**/api/chat/ws-ticket', (route) => route.abort('connectionrefused'));
    harness.stack.webSocket.drop(consoleConnection);
    await page.locator('.connection-hint', { hasText: 'Reconnecting…' }).waitFor();
    await expectAccessible(page, 'console, reconnecting with a room open');

    // While the console is away: a message, a closed room and a new room, none of which it hears of live.
    await customers[2]?.sendMessage(third.id, 'while you were away');
    await customers[3]?.closeRoom(fourth.id);
    const late = await (await customer('latecomer')).createRoom({ subject: 'Room late' });

    await page.unroute('**/api/chat/ws-ticket');
    // The browser says it is online again: no waiting out the backoff.
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await expect
      .poll(() => item('Room 2').getByTestId('unread').textContent(), { timeout: 15_000 })
      .toBe('2');
    await expect
      .poll(() => item('Room 2').locator('.preview').textContent(), SUMMARY)
      .toBe('while you were away');
    await item('Room late').waitFor();
    await expect.poll(() => item('Room 3').count(), SUMMARY).toBe(0);

    const [reconnected, ...others] = harness.stack.webSocket.connectionIds();
    expect(others).toEqual([]);
    expect(reconnected).not.toBe(consoleConnection);
    expect(sockets).toHaveLength(2);
    expect(subscribes(sockets[1] ?? [])).toEqual([
      { type: 'subscribe', queue: true },
      { type: 'subscribe', room_id: first.id },
    ]);
    expect(subscribeCalls(reconnected as string)).toBe(2);
    expect(late.id).toBeTruthy();
  });

  it('keeps the newest preview when a Join answer comes back after a newer message', async () => {
    const [first] = rooms as [Room];
    let answered!: () => void;
    const joinAnswered = new Promise<void>((resolve) => {
      answered = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The server joins at once, but its answer reaches the page only after a newer message did.
    await page.route(`**/api/chat/rooms/${first.id}/join`, async (route) => {
      const response = await route.fetch();
      answered();
      await released;
      await route.fulfill({ response });
    });
    await page.getByRole('button', { name: 'Join', exact: true }).click();
    await joinAnswered;
    await customers[0]?.sendMessage(first.id, 'newer than the join');
    await page.locator('.bubble', { hasText: 'newer than the join' }).waitFor();
    await expect
      .poll(() => item('Room 0').locator('.preview').textContent(), SUMMARY)
      .toBe('newer than the join');
    release();
    const leave = page.getByRole('button', { name: 'Leave', exact: true });
    await expect.poll(() => leave.isEnabled(), SUMMARY).toBe(true);
    expect(await item('Room 0').locator('.preview').textContent()).toBe('newer than the join');
    await page.unroute(`**/api/chat/rooms/${first.id}/join`);
  });
});
