import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChatClosedError, ChatSocketError } from '../../client/errors.js';
import type { ChatSocket } from '../../client/socket.js';
import type { Message } from '../../client/wire.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import {
  eventually,
  gate,
  gatedAuth,
  inbox,
  newConnections,
  next,
  summaries,
  type TestUser,
  user,
  wiretap,
} from './support.js';

let stack: LocalStack;
let alice: TestUser;
let bob: TestUser;
let sam: TestUser;
const open: ChatSocket[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ httpPort: 0, wsPort: 0 });
  [alice, bob, sam] = await Promise.all([user(stack, 'alice'), user(stack, 'bob'), user(stack, 'sam', true)]);
});

afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

afterAll(async () => {
  await stack?.stop();
});

function track(socket: ChatSocket): ChatSocket {
  open.push(socket);
  socket.connect();
  return socket;
}

const ids = (messages: readonly Message[]) => messages.map((m) => m.id);

/** Connects a socket and returns the gateway's id for it. */
async function connectedId(socket: ChatSocket, roomId: string): Promise<string> {
  const before = stack.webSocket.connectionIds();
  track(socket);
  await socket.follow(roomId);
  const [id] = newConnections(stack, before);
  if (!id) throw new Error('no new connection');
  return id;
}

describe('ChatSocket', () => {
  it('resolves a send with the stored message once its ack arrives, and delivers it once', async () => {
    const room = await alice.http.createRoom();
    const socket = track(alice.socket());
    const received = inbox(socket);
    await socket.follow(room.id, { after: 0 });
    const message = await socket.send(room.id, 'hello', 'c-ack-1');
    expect(message).toMatchObject({
      id: 1,
      content: 'hello',
      client_message_id: 'c-ack-1',
      sender_id: 'alice',
    });
    // The sender's socket gets both the ack and the room's message frame: one event.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(received).toEqual([message]);
    expect(socket.pending(room.id)).toEqual([]);
  });

  it('keeps one send in flight per room, so messages are stored in the order they were sent', async () => {
    const room = await alice.http.createRoom();
    const tap = wiretap();
    const socket = track(alice.socket({ WebSocket: tap.WebSocket }));
    await socket.follow(room.id, { after: 0 });
    const outboxSizes: number[] = [];
    socket.on('outbox', (event) => outboxSizes.push(event.pending.length));
    const sent = await Promise.all(Array.from({ length: 8 }, (_, i) => socket.send(room.id, `n${i}`)));
    expect(sent.map((m) => m.content)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']);
    expect(ids(sent)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(outboxSizes.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(outboxSizes.at(-1)).toBe(0);
    expect(tap.sent.filter((frame) => frame.type === 'message')).toHaveLength(8);
  });

  it('catches up after a dropped connection: the messages sent meanwhile arrive exactly once, in order', async () => {
    const room = await alice.http.createRoom();
    const door = gate();
    const socket = alice.socket({ auth: gatedAuth(alice.http, door.opened) });
    const received = inbox(socket);
    const connectionId = await connectedId(socket, room.id);
    await bob.http.createRoom(); // unrelated traffic
    await sam.http.sendMessage(room.id, 'before the drop');
    await eventually(() => received.length === 1);

    const reconnecting = next(socket, 'state', (e) => e.state === 'reconnecting');
    stack.webSocket.drop(connectionId);
    await reconnecting;
    for (const text of ['one', 'two', 'three']) await sam.http.sendMessage(room.id, text);
    const synced = next(socket, 'synced', (e) => e.roomId === room.id && e.lastMessageId === 4);
    door.open();
    await synced;
    await sam.http.sendMessage(room.id, 'after');
    await eventually(() => received.length === 5);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(received.map((m) => m.content)).toEqual(['before the drop', 'one', 'two', 'three', 'after']);
    expect(ids(received)).toEqual([1, 2, 3, 4, 5]);
  });

  it('queues sends made while disconnected and sends each exactly once after reconnecting', async () => {
    const room = await alice.http.createRoom();
    const door = gate();
    const socket = alice.socket({ auth: gatedAuth(alice.http, door.opened) });
    const received = inbox(socket);
    const connectionId = await connectedId(socket, room.id);
    const reconnecting = next(socket, 'state', (e) => e.state === 'reconnecting');
    stack.webSocket.drop(connectionId);
    await reconnecting;

    const first = socket.send(room.id, 'written offline 1', 'c-offline-1');
    const second = socket.send(room.id, 'written offline 2', 'c-offline-2');
    expect(socket.pending(room.id).map((p) => p.clientMessageId)).toEqual(['c-offline-1', 'c-offline-2']);
    door.open();
    expect(ids(await Promise.all([first, second]))).toEqual([1, 2]);
    const stored = await alice.http.messagesAfter(room.id, 0);
    expect(stored.map((m) => m.client_message_id)).toEqual(['c-offline-1', 'c-offline-2']);
    await eventually(() => received.length === 2);
    expect(ids(received)).toEqual([1, 2]);
  });

  it('resends an unacknowledged message with the same client_message_id, and the server stores it once', async () => {
    const room = await alice.http.createRoom();
    // The first answer is lost whole: its ack, and the room's message frame (which would settle the send too).
    const dropped = new Set<string>();
    const tap = wiretap((frame) => {
      if ((frame.type !== 'ack' && frame.type !== 'message') || dropped.has(frame.type)) return 'deliver';
      dropped.add(frame.type);
      return 'drop';
    });
    const socket = track(alice.socket({ WebSocket: tap.WebSocket, ackTimeoutMs: 300 }));
    const received = inbox(socket);
    await socket.follow(room.id, { after: 0 });
    const message = await socket.send(room.id, 'are you there?', 'c-lost-ack');
    expect(message).toMatchObject({ id: 1, client_message_id: 'c-lost-ack' });
    const attempts = tap.sent.filter((f) => f.type === 'message').map((f) => f.client_message_id);
    expect(attempts).toEqual(['c-lost-ack', 'c-lost-ack']);
    expect(tap.sockets).toHaveLength(2);
    expect((await alice.http.messagesAfter(room.id, 0)).map((m) => m.content)).toEqual(['are you there?']);
    expect(ids(received)).toEqual([1]);
  });

  it('fills a gap from history when a frame arrives late, and still delivers each id once', async () => {
    const room = await alice.http.createRoom();
    const tap = wiretap((frame) => (frame.type === 'message' && frame.data.id === 2 ? 600 : 'deliver'));
    const socket = track(alice.socket({ WebSocket: tap.WebSocket, gapCheckMs: 100 }));
    const received = inbox(socket);
    await socket.follow(room.id, { after: 0 });
    for (const text of ['a', 'b', 'c']) await sam.http.sendMessage(room.id, text);
    await eventually(() => received.length === 3);
    expect(ids(received)).toEqual([1, 3, 2]); // 2 came from history, before its late frame
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(ids(received)).toEqual([1, 3, 2]);
  });

  it('sends typing once per burst of keystrokes, then a stop after the pause', async () => {
    const room = await alice.http.createRoom();
    await sam.http.joinRoom(room.id);
    const customer = track(alice.socket({ typingIdleMs: 200 }));
    const staff = track(sam.socket());
    await Promise.all([customer.follow(room.id), staff.follow(room.id)]);
    const seen: boolean[] = [];
    staff.on('typing', (event) => {
      expect(event).toMatchObject({ room_id: room.id, user_id: 'alice', role: 'customer' });
      seen.push(event.is_typing);
    });
    for (let i = 0; i < 10; i++) customer.typing(room.id);
    await eventually(() => seen.length === 2, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([true, false]);
  });

  it('sends read receipts forward only, and the room hears them', async () => {
    const room = await alice.http.createRoom();
    await alice.http.sendMessage(room.id, 'one');
    await alice.http.sendMessage(room.id, 'two');
    await sam.http.joinRoom(room.id);
    const customer = track(alice.socket());
    const staff = track(sam.socket());
    await Promise.all([customer.follow(room.id), staff.follow(room.id)]);
    const receipt = next(customer, 'read_receipt', (e) => e.user_id === 'sam');
    staff.markRead(room.id, 2);
    staff.markRead(room.id, 1);
    expect(await receipt).toMatchObject({ room_id: room.id, user_id: 'sam', role: 'staff', message_id: 2 });
    const detail = await alice.http.getRoom(room.id);
    expect(detail.members.find((m) => m.user_id === 'sam')?.last_read).toBe(2);
  });

  it('tells staff about other staff coming online, and the queue about new rooms', async () => {
    const watcher = track(sam.socket());
    await next(watcher, 'state', (e) => e.state === 'open');
    const eve = await user(stack, 'eve', true);
    const online = next(watcher, 'presence', (e) => e.user_id === 'eve');
    track(eve.socket());
    expect(await online).toMatchObject({ user_id: 'eve', role: 'staff', is_online: true });
    // Room lifecycle frames go to a room's followers only: staff hear of a new room from the queue.
    const rooms: string[] = [];
    watcher.on('room', (e) => rooms.push(e.event));
    await watcher.followQueue();
    const room = await bob.http.createRoom({ subject: 'new here' });
    const created = await next(watcher, 'queue_rooms', (e) => e.rooms.some((r) => r.id === room.id));
    expect(created.rooms.find((r) => r.id === room.id)).toMatchObject({
      status: 'open',
      subject: 'new here',
      customer_id: 'bob',
      staff_ids: [],
      last_message_id: 0,
    });
    expect(rooms).toEqual([]);
  });

  it('refuses to follow a room the user may not see, and rejects sends to a closed room', async () => {
    const theirs = await bob.http.createRoom();
    const socket = track(alice.socket());
    const error = await socket.follow(theirs.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatSocketError);
    expect(error).toMatchObject({ code: 'room_not_found', frameType: 'subscribe' });
    expect(socket.followedRooms()).toEqual([]);

    const room = await alice.http.createRoom();
    await socket.follow(room.id);
    await alice.http.closeRoom(room.id);
    const refused = await socket.send(room.id, 'too late', 'c-closed').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'room_closed', clientMessageId: 'c-closed' });
    expect(await socket.send(room.id, 'still too late').catch((e: unknown) => e)).toMatchObject({
      code: 'room_closed',
    });
  });

  it('rejects what is still queued when closed', async () => {
    const room = await alice.http.createRoom();
    const door = gate();
    const socket = alice.socket({ auth: gatedAuth(alice.http, door.opened, 1) });
    track(socket);
    const following = socket.follow(room.id);
    const sending = socket.send(room.id, 'never sent');
    socket.close();
    await expect(sending).rejects.toBeInstanceOf(ChatClosedError);
    await expect(following).rejects.toBeInstanceOf(ChatClosedError);
    expect(socket.state).toBe('closed');
  });
});

describe('ChatSocket.followQueue', () => {
  const contents = (messages: readonly Message[], roomId: string) =>
    messages.filter((m) => m.room_id === roomId).map((m) => m.content);

  it('sends summaries of a room it does not follow (messages, reads, typing), and none of its frames', async () => {
    const frameTypes: string[] = [];
    const tap = wiretap((frame) => {
      frameTypes.push(frame.type);
      return 'deliver';
    });
    const staff = track(sam.socket({ WebSocket: tap.WebSocket }));
    const received = inbox(staff);
    const rooms = summaries(staff);
    const typists: string[][] = [];
    staff.on('queue_typing', (e) => typists.push([...e.userIds]));
    const confirmed = next(staff, 'queue');
    await staff.followQueue();
    expect(await confirmed).toEqual({ event: 'subscribed', queue: true, user_id: 'sam' });
    expect(staff.followsQueue()).toBe(true);

    const room = await alice.http.createRoom({ subject: 'queue only' });
    const of = () => rooms.filter((r) => r.id === room.id);
    await eventually(() => of().length > 0);
    expect(of()[0]).toMatchObject({ status: 'open', last_message_id: 0, staff_ids: [] });
    const customer = track(alice.socket());
    await customer.follow(room.id, { after: 0 });
    customer.typing(room.id);
    await eventually(() => typists.some((t) => t.includes('alice')));
    await customer.send(room.id, 'one');
    await sam.http.sendMessage(room.id, 'two'); // over HTTP: the socket does not follow the room
    customer.markRead(room.id, 2);
    await eventually(() => of().at(-1)?.reads.alice === 2);
    expect(of().at(-1)).toMatchObject({ last_message_id: 2, last_message: { preview: 'two' } });
    // No summary older than the one before it (a typing change keeps the room's version; a batch's changes
    // come as one summary).
    const versions = of().map((r) => r.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(received).toEqual([]);
    expect(frameTypes.filter((t) => ['message', 'typing', 'read_receipt', 'room'].includes(t))).toEqual([
      'room', // the queue's own subscribed answer
    ]);
    expect(staff.followedRooms()).toEqual([]);
    // Only the queue's subscription went out.
    expect(tap.sent.filter((f) => f.type === 'subscribe')).toEqual([{ type: 'subscribe', queue: true }]);
    // Writing in the room needs following it, which brings its messages.
    await staff.follow(room.id, { after: 2 });
    await staff.send(room.id, 'three');
    await alice.http.sendMessage(room.id, 'four');
    await eventually(() => contents(received, room.id).length === 2);
    expect(contents(received, room.id)).toEqual(['three', 'four']);
  });

  it('keeps a followed room exactly once and caught up while the queue is followed too', async () => {
    const room = await alice.http.createRoom();
    const door = gate();
    const staff = sam.socket({ auth: gatedAuth(sam.http, door.opened) });
    const received = inbox(staff);
    const connectionId = await connectedId(staff, room.id);
    await staff.followQueue();
    await alice.http.sendMessage(room.id, 'before the drop');
    await eventually(() => received.length === 1);

    const reconnecting = next(staff, 'state', (e) => e.state === 'reconnecting');
    stack.webSocket.drop(connectionId);
    await reconnecting;
    for (const text of ['one', 'two']) await alice.http.sendMessage(room.id, text);
    const synced = next(staff, 'synced', (e) => e.roomId === room.id && e.lastMessageId === 3);
    door.open();
    await synced;
    await alice.http.sendMessage(room.id, 'after');
    await eventually(() => received.length === 4);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ids(received)).toEqual([1, 2, 3, 4]);
  });

  it('subscribes to the queue again after every reconnect', async () => {
    const door = gate();
    const tap = wiretap();
    const staff = sam.socket({ WebSocket: tap.WebSocket, auth: gatedAuth(sam.http, door.opened) });
    const received = inbox(staff);
    const rooms = summaries(staff);
    const before = stack.webSocket.connectionIds();
    track(staff);
    await staff.followQueue();
    const [connectionId] = newConnections(stack, before);

    const reconnecting = next(staff, 'state', (e) => e.state === 'reconnecting');
    stack.webSocket.drop(connectionId as string);
    await reconnecting;
    const room = await alice.http.createRoom();
    await alice.http.sendMessage(room.id, 'while away'); // lost for the queue: no catch-up
    const again = next(staff, 'queue', (e) => e.event === 'subscribed');
    door.open();
    await again;
    expect(tap.sent.filter((f) => f.type === 'subscribe')).toEqual([
      { type: 'subscribe', queue: true },
      { type: 'subscribe', queue: true },
    ]);
    // Summaries are live only: the reconnected socket hears of the room at its next change.
    await alice.http.sendMessage(room.id, 'after the reconnect');
    await eventually(() => rooms.some((r) => r.id === room.id && r.last_message_id === 2));
    expect(received).toEqual([]);
  });

  it('stops with unfollowQueue, leaving followed rooms alone', async () => {
    const [followed, other] = await Promise.all([alice.http.createRoom(), bob.http.createRoom()]);
    const tap = wiretap();
    const staff = track(sam.socket({ WebSocket: tap.WebSocket }));
    const received = inbox(staff);
    await Promise.all([staff.followQueue(), staff.follow(followed.id)]);
    staff.unfollowQueue();
    expect(staff.followsQueue()).toBe(false);
    await next(staff, 'queue', (e) => e.event === 'unsubscribed');
    await bob.http.sendMessage(other.id, 'not followed');
    await alice.http.sendMessage(followed.id, 'followed');
    await eventually(() => received.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(received.map((m) => m.content)).toEqual(['followed']);
    expect(tap.sent.filter((f) => 'queue' in f)).toEqual([
      { type: 'subscribe', queue: true },
      { type: 'unsubscribe', queue: true },
    ]);
  });

  it('is refused to customers with a staff_only ChatSocketError', async () => {
    const socket = track(alice.socket());
    const errors: unknown[] = [];
    socket.on('error', (error) => errors.push(error));
    const error = await socket.followQueue().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatSocketError);
    expect(error).toMatchObject({ code: 'staff_only', frameType: 'subscribe' });
    expect(socket.followsQueue()).toBe(false);
    expect(errors).toEqual([error]);
    // The socket itself carries on.
    const room = await alice.http.createRoom();
    await socket.follow(room.id);
    expect((await socket.send(room.id, 'still here')).content).toBe('still here');
  });
});

describe('ChatSocket when its token expires', () => {
  it('reconnects with a fresh token after token_expired and stores the send that met it exactly once', async () => {
    const room = await alice.http.createRoom();
    let tokens = 0;
    const socket = track(
      alice.socket({
        // Each connection gets a token that expires 2 s after it was minted.
        auth: async () => {
          tokens += 1;
          return { token: await stack.issuer.mint({ userId: 'alice', ttlSeconds: 2 }) };
        },
      }),
    );
    const received = inbox(socket);
    await socket.follow(room.id, { after: 0 });
    await socket.send(room.id, 'in time');
    expect(tokens).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 3100 - (Date.now() % 1000)));
    const late = await socket.send(room.id, 'after expiry');
    expect(late.content).toBe('after expiry');
    expect(tokens).toBeGreaterThanOrEqual(2);
    await eventually(() => expect(received.map((m) => m.content)).toEqual(['in time', 'after expiry']));
    const history = await alice.http.messagesAfter(room.id, 0);
    expect(history.map((m) => m.content)).toEqual(['in time', 'after expiry']);
  });

  it('reconnects an idle socket whose heartbeat is answered with token_expired', async () => {
    let tokens = 0;
    const socket = track(
      alice.socket({
        heartbeatMs: 300,
        auth: async () => {
          tokens += 1;
          return { token: await stack.issuer.mint({ userId: 'alice', ttlSeconds: 1 }) };
        },
      }),
    );
    await eventually(() => expect(socket.state).toBe('open'));
    // Every token lasts about a second, so an idle socket keeps being refreshed: the heartbeat notices.
    await eventually(() => expect(tokens).toBeGreaterThanOrEqual(3), 6000);
  });
});
