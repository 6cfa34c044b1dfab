import { afterEach, describe, expect, it } from 'vitest';
import { ChatClosedError, ChatGatewayError, ChatTimeoutError } from '../../client/errors.js';
import type { ServerFrame } from '../../client/wire.js';
import {
  closeClients,
  type FakeServerSocket,
  followed,
  message,
  ROOM,
  setup,
  sleep,
  subscribed,
  until,
  untilSubscribing,
} from './fake-server.js';

/** ChatSocket against a scripted server (`fake-server.ts`). */

afterEach(closeClients);

describe('ChatSocket against a scripted server', () => {
  it('delivers a confirmed hole that shows up late once, and stops checking for gaps', async () => {
    // Id 1 was taken by a send that had not stored it yet: history shows it missing twice.
    const store = [message(2)];
    const t = setup(() => store);
    const got: number[] = [];
    let synced = 0;
    t.client.on('message', (m) => got.push(m.id));
    t.client.on('synced', () => synced++);
    await followed(t, 0, 0);
    t.ws().push({ type: 'message', data: message(2) });
    await sleep(400);
    expect(got).toEqual([2]);

    // The send completes after all and its message is pushed live.
    store.unshift(message(1));
    t.ws().push({ type: 'message', data: message(1) });
    const callsBefore = t.historyCalls();
    await sleep(400);
    expect(got).toEqual([2, 1]);
    expect(t.historyCalls() - callsBefore).toBe(0);

    // A later gap is filled, and the room reports itself complete again.
    store.push(message(3), message(4));
    const syncedBefore = synced;
    t.ws().push({ type: 'message', data: message(4) });
    await sleep(300);
    expect(got).toEqual([2, 1, 4, 3]);
    expect(synced).toBeGreaterThan(syncedBefore);
  });

  it('sends the read pointer and typing again after a not_subscribed error and the new subscription', async () => {
    const t = setup(() => [message(1)]);
    await followed(t, 1, 1);
    t.client.markRead(ROOM, 1);
    t.client.typing(ROOM);
    expect(t.ws().frames()).toEqual(['subscribe', 'read:1', 'typing']);
    // The server no longer has this socket's subscription (an unsubscribe handled after a newer subscribe).
    t.ws().push({
      type: 'error',
      data: { code: 'not_subscribed', message: 'Not subscribed', frame_type: 'read', room_id: ROOM },
    });
    await sleep(5);
    expect(t.ws().frames()).toEqual(['subscribe', 'read:1', 'typing', 'subscribe']);
    t.ws().push(subscribed(1));
    await sleep(20);
    t.client.typing(ROOM);
    expect(t.ws().frames()).toEqual(['subscribe', 'read:1', 'typing', 'subscribe', 'read:1', 'typing']);
  });

  it('settles a send when its own message frame comes before the ack, and ignores the late ack', async () => {
    const t = setup();
    await followed(t, 0, 0);
    const events: (string | null)[] = [];
    const outbox: number[] = [];
    t.client.on('message', (m) => events.push(m.client_message_id));
    t.client.on('outbox', (e) => outbox.push(e.pending.length));
    const first = t.client.send(ROOM, 'hello', 'c-1');
    const second = t.client.send(ROOM, 'again', 'c-2');
    const stored = message(1, {
      sender_id: 'alice',
      sender_role: 'customer',
      content: 'hello',
      client_message_id: 'c-1',
    });
    // The room's broadcast reaches the sender's socket before the ack.
    t.ws().push({ type: 'message', data: stored });
    expect(events).toEqual(['c-1']);
    expect(t.client.pending(ROOM).map((p) => p.clientMessageId)).toEqual(['c-2']);
    await expect(first).resolves.toEqual(stored);
    // The next send went out at once; the first one's ack changes nothing.
    expect(
      t
        .ws()
        .sent.filter((f) => f.type === 'message')
        .map((f) => f.client_message_id),
    ).toEqual(['c-1', 'c-2']);
    t.ws().push({ type: 'ack', data: { client_message_id: 'c-1', duplicate: false, message: stored } });
    expect(t.client.pending(ROOM).map((p) => p.clientMessageId)).toEqual(['c-2']);
    const next = message(2, {
      sender_id: 'alice',
      sender_role: 'customer',
      content: 'again',
      client_message_id: 'c-2',
    });
    t.ws().push({ type: 'ack', data: { client_message_id: 'c-2', duplicate: false, message: next } });
    t.ws().push({ type: 'message', data: next });
    await expect(second).resolves.toEqual(next);
    expect(events).toEqual(['c-1', 'c-2']);
    expect(t.client.pending(ROOM)).toEqual([]);
    expect(outbox.at(-1)).toBe(0);
  });

  it('does not take another user’s message with the same client_message_id for its own send', async () => {
    const t = setup();
    await followed(t, 0, 0);
    // Rejected with ChatClosedError when the test closes the socket.
    t.client.send(ROOM, 'hello', 'c-1').catch(() => undefined);
    t.ws().push({ type: 'message', data: message(1, { sender_id: 'sam', client_message_id: 'c-1' }) });
    expect(t.client.pending(ROOM).map((p) => p.clientMessageId)).toEqual(['c-1']);
  });

  it('subscribes again when an old unsubscribe is answered after the room was followed again', async () => {
    const t = setup(() => [message(1)]);
    await followed(t, 1, 1);
    const roomEvents: string[] = [];
    t.client.on('room', (e) => roomEvents.push(e.event));
    t.client.unfollow(ROOM);
    const again = t.client.follow(ROOM, { after: 1 });
    expect(t.ws().frames()).toEqual(['subscribe', 'unsubscribe', 'subscribe']);
    // The server handles the new subscribe first, then the old unsubscribe, which drops the subscription.
    t.ws().push(subscribed(1));
    await again;
    t.ws().push({ type: 'room', data: { event: 'unsubscribed', room_id: ROOM, user_id: 'alice' } });
    expect(t.ws().frames()).toEqual(['subscribe', 'unsubscribe', 'subscribe', 'subscribe']);
    t.client.markRead(ROOM, 1); // waits for the subscription
    expect(t.ws().frames()).toHaveLength(4);
    t.ws().push(subscribed(1));
    expect(t.ws().frames()).toEqual(['subscribe', 'unsubscribe', 'subscribe', 'subscribe', 'read:1']);
    expect(roomEvents).toEqual(['subscribed', 'subscribed']);
  });

  it('passes on the unsubscribed answer of a room no longer followed', async () => {
    const t = setup();
    await followed(t, 0, 0);
    const roomEvents: string[] = [];
    t.client.on('room', (e) => roomEvents.push(e.event));
    t.client.unfollow(ROOM);
    t.ws().push({ type: 'room', data: { event: 'unsubscribed', room_id: ROOM, user_id: 'alice' } });
    expect(roomEvents).toEqual(['unsubscribed']);
    expect(t.ws().frames()).toEqual(['subscribe', 'unsubscribe']);
  });

  it('checks an open connection at once when the page comes back online or visible', async () => {
    const t = setup(() => [], { pongTimeoutMs: 100 });
    await followed(t, 0, 0);
    const first = t.ws();
    const pings = () => first.sent.filter((f) => f.type === 'ping').length;
    const before = pings();
    // It answers: nothing changes.
    t.client.reconnectNow();
    expect(pings()).toBe(before + 1);
    first.push({ type: 'pong', data: { time: '2025-01-01T00:00:00.000Z' } });
    await sleep(150);
    expect(t.sockets).toHaveLength(1);
    // It died silently: the missing pong replaces it.
    t.client.reconnectNow();
    t.client.reconnectNow(); // one ping waits for its pong at a time
    expect(pings()).toBe(before + 2);
    await sleep(200);
    expect(t.sockets).toHaveLength(2);
    expect(t.ws().frames()).toEqual(['subscribe']);
  });

  it('refuses to follow a room once closed', async () => {
    const t = setup();
    t.client.connect();
    await sleep(10);
    t.client.close();
    await expect(t.client.follow(ROOM)).rejects.toBeInstanceOf(ChatClosedError);
    expect(t.client.follows(ROOM)).toBe(false);
  });

  it('does not retry a failed subscribe of a room unfollowed meanwhile', async () => {
    const t = setup();
    t.client.connect();
    await sleep(10);
    t.client.follow(ROOM).catch(() => undefined); // rejected by unfollow()
    t.ws().push({
      type: 'error',
      data: { code: 'internal_error', message: 'Try again', frame_type: 'subscribe', room_id: ROOM },
    });
    t.client.unfollow(ROOM);
    await sleep(1_100);
    expect(t.ws().frames()).toEqual(['subscribe']);
  });
});

const subscribes = (ws: FakeServerSocket) => ws.sent.filter((f) => f.type === 'subscribe');
const throttledFrame = (): ServerFrame =>
  ({ message: 'Too Many Requests', connectionId: 'c1=', requestId: 'r1=' }) as unknown as ServerFrame;

describe('ChatSocket requests that get no answer', () => {
  const quick = { requestTimeoutMs: 40, maxAttempts: 3, retry: { baseMs: 1, maxMs: 5 } } as const;

  it('sends a subscribe again when it goes unanswered, and resolves on the late answer', async () => {
    const t = setup(() => [], quick);
    t.client.connect();
    await sleep(10);
    const follow = t.client.follow(ROOM, { after: 0 });
    await sleep(70);
    expect(subscribes(t.ws()).length).toBe(2);
    t.ws().push(subscribed(0));
    await expect(follow).resolves.toMatchObject({ id: ROOM });
    await sleep(100);
    expect(subscribes(t.ws()).length).toBe(2);
  });

  it('rejects follow() with ChatTimeoutError after maxAttempts, keeps trying, and subscribes in the end', async () => {
    const t = setup(() => [message(1)], quick);
    const errors: unknown[] = [];
    t.client.on('error', (e) => errors.push(e));
    t.client.connect();
    await sleep(10);
    const error = await t.client.follow(ROOM, { after: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', attempts: 3, roomId: ROOM });
    expect(errors).toEqual([error]);
    expect(t.client.follows(ROOM)).toBe(true);
    const sent = subscribes(t.ws()).length;
    await sleep(120);
    expect(subscribes(t.ws()).length).toBeGreaterThan(sent);
    // The server answers at last: the room is subscribed and caught up.
    const got: number[] = [];
    t.client.on('message', (m) => got.push(m.id));
    const again = t.client.follow(ROOM);
    t.ws().push(subscribed(1));
    await expect(again).resolves.toMatchObject({ id: ROOM });
    await sleep(20);
    expect(got).toEqual([1]);
  });

  it('retries a subscribe answered by API Gateway’s throttling frame, and rejects with the cause after maxAttempts', async () => {
    const t = setup(() => [], { ...quick, requestTimeoutMs: 5_000 });
    t.client.connect();
    await sleep(10);
    const follow = t.client.follow(ROOM, { after: 0 }).catch((e: unknown) => e);
    for (let i = 0; i < 3; i++) {
      await sleep(15);
      t.ws().push(throttledFrame());
    }
    const error = await follow;
    expect(subscribes(t.ws()).length).toBe(3);
    expect(error).toBeInstanceOf(ChatTimeoutError);
    expect((error as Error).cause).toBeInstanceOf(ChatGatewayError);
    expect((error as Error).cause).toMatchObject({ code: 'throttled', requestId: 'r1=' });
  });

  it('rejects followQueue() with ChatTimeoutError after maxAttempts and still subscribes the queue later', async () => {
    const t = setup(() => [], quick);
    t.client.connect();
    await sleep(10);
    const error = await t.client.followQueue().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatTimeoutError);
    expect(t.client.followsQueue()).toBe(true);
    const queueEvents: string[] = [];
    t.client.on('queue', (e) => queueEvents.push(e.event));
    await sleep(60);
    t.ws().push({ type: 'room', data: { event: 'subscribed', queue: true, user_id: 'sam' } });
    await expect(t.client.followQueue()).resolves.toBeUndefined();
    expect(queueEvents).toEqual(['subscribed']);
  });

  it('resends a send answered by API Gateway’s error frame with the same id, on the same socket', async () => {
    const t = setup(() => [], { retry: { baseMs: 1, maxMs: 5 } });
    await followed(t, 0, 0);
    const sending = t.client.send(ROOM, 'hello', 'c-1');
    t.ws().push({
      message: 'Internal server error',
      connectionId: 'c1=',
      requestId: 'r2=',
    } as unknown as ServerFrame);
    await sleep(30);
    const sends = t.ws().sent.filter((f) => f.type === 'message');
    expect(sends.map((f) => f.client_message_id)).toEqual(['c-1', 'c-1']);
    const stored = message(1, { sender_id: 'alice', client_message_id: 'c-1', content: 'hello' });
    t.ws().push({ type: 'ack', data: { client_message_id: 'c-1', duplicate: false, message: stored } });
    await expect(sending).resolves.toEqual(stored);
    expect(t.sockets).toHaveLength(1);
  });

  it('resends a send the server says another copy of is still in progress, with the same id', async () => {
    const t = setup(() => [], { retry: { baseMs: 1, maxMs: 5 } });
    await followed(t, 0, 0);
    const sending = t.client.send(ROOM, 'hello', 'c-1');
    t.ws().push({
      type: 'error',
      data: {
        code: 'send_in_progress',
        message: 'This message is still being sent; try again shortly',
        frame_type: 'message',
        room_id: ROOM,
        client_message_id: 'c-1',
      },
    });
    await sleep(30);
    const sends = t.ws().sent.filter((f) => f.type === 'message');
    expect(sends.map((f) => f.client_message_id)).toEqual(['c-1', 'c-1']);
    const stored = message(1, { sender_id: 'alice', client_message_id: 'c-1', content: 'hello' });
    t.ws().push({ type: 'ack', data: { client_message_id: 'c-1', duplicate: true, message: stored } });
    await expect(sending).resolves.toEqual(stored);
  });

  it('waits the retry_after of a rate_limited refusal before sending again', async () => {
    const t = setup(() => [], { retry: { baseMs: 1, maxMs: 5 } });
    await followed(t, 0, 0);
    t.client.send(ROOM, 'slow down', 'c-1').catch(() => undefined); // rejected when the test closes
    const writes = () => t.ws().sent.filter((f) => f.type === 'message').length;
    t.ws().push({
      type: 'error',
      data: {
        code: 'rate_limited',
        message: 'Too many messages: try again in 1 s',
        frame_type: 'message',
        room_id: ROOM,
        client_message_id: 'c-1',
        retry_after: 0.3,
      },
    });
    await sleep(100);
    expect(writes()).toBe(1);
    await sleep(400);
    expect(writes()).toBe(2);
    expect(t.client.pending(ROOM).map((p) => p.clientMessageId)).toEqual(['c-1']);
  });

  it('rejects a send with ChatTimeoutError after maxAttempts unacknowledged writes, and sends the next', async () => {
    const t = setup(() => [], { ackTimeoutMs: 30, maxAttempts: 2 });
    await followed(t, 0, 0);
    const first = t.client.send(ROOM, 'never acked', 'c-1').catch((e: unknown) => e);
    const second = t.client.send(ROOM, 'next', 'c-2');
    // Every missing ack drops the connection; the send goes again on the next one. Waited for, not timed:
    // a loaded machine reconnects later.
    await untilSubscribing(t.sockets, 2);
    t.ws().push(subscribed(0));
    const error = await first;
    expect(error).toBeInstanceOf(ChatTimeoutError);
    expect(error).toMatchObject({ code: 'timeout', attempts: 2, clientMessageId: 'c-1' });
    const written = t.sockets.flatMap((ws) => ws.sent.filter((f) => f.type === 'message'));
    expect(written.filter((f) => f.client_message_id === 'c-1')).toHaveLength(2);
    await untilSubscribing(t.sockets, 3);
    t.ws().push(subscribed(0));
    await until(() => t.ws().sent.some((f) => f.type === 'message' && f.client_message_id === 'c-2'));
    const stored = message(1, { sender_id: 'alice', client_message_id: 'c-2', content: 'next' });
    expect(
      t
        .ws()
        .sent.filter((f) => f.type === 'message')
        .map((f) => f.client_message_id),
    ).toContain('c-2');
    t.ws().push({ type: 'ack', data: { client_message_id: 'c-2', duplicate: false, message: stored } });
    await expect(second).resolves.toEqual(stored);
    expect(t.client.pending(ROOM)).toEqual([]);
  });
});

describe('ChatSocket and ids completed late', () => {
  it('shows a confirmed hole that a late resend stored without any push, at the next room check', async () => {
    // Id 1's put failed; its send was completed later by a resend whose fan-out failed too: only history has it.
    const store = [message(2)];
    const t = setup(() => store, { roomCheckMs: 60 });
    const got: number[] = [];
    t.client.on('message', (m) => got.push(m.id));
    await followed(t, 0, 0);
    t.ws().push({ type: 'message', data: message(2) });
    await sleep(300);
    expect(got).toEqual([2]); // 1 is a confirmed hole by now
    store.unshift(message(1));
    store.push(message(3));
    t.ws().push({ type: 'message', data: message(3) }); // later messages keep coming live
    await sleep(200);
    expect(got).toEqual([2, 3, 1]);
  });
});
