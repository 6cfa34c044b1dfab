import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatError } from '../../client/errors.js';
import type { ChatSocket } from '../../client/socket.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { eventually, inbox, next, type TestUser, user, wiretap } from './support.js';

// Real sockets against the local stack, whose gateway answers throttled frames with API Gateway's own
// `{"message": "Too Many Requests", ...}` frame instead of invoking the route (no mock), and a wiretap that
// drops a frame on its way to the client where a push that never came is the fault.

let stack: LocalStack;
let alice: TestUser;
let sam: TestUser;
const open: ChatSocket[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ httpPort: 0, wsPort: 0 });
  [alice, sam] = await Promise.all([user(stack, 'alice'), user(stack, 'sam', true)]);
});

afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

afterAll(async () => {
  await stack?.stop();
});

/** Short retries, so that a test waits fractions of a second. */
const fast = { retry: { baseMs: 20, maxMs: 50 }, requestTimeoutMs: 2_000 } as const;

function track(socket: ChatSocket): ChatSocket {
  open.push(socket);
  socket.connect();
  return socket;
}

describe('ChatSocket under API Gateway throttling', () => {
  it('retries a throttled subscribe until the room is subscribed, and then receives its messages', async () => {
    const room = await alice.http.createRoom();
    const tap = wiretap();
    const socket = track(alice.socket({ WebSocket: tap.WebSocket, ...fast }));
    const errors: ChatError[] = [];
    socket.on('error', (error) => errors.push(error));
    const received = inbox(socket);
    stack.webSocket.throttle('subscribe', 2);
    const followed = await socket.follow(room.id, { after: 0 });
    expect(followed.id).toBe(room.id);
    expect(tap.sent.filter((f) => f.type === 'subscribe')).toEqual([
      { type: 'subscribe', room_id: room.id },
      { type: 'subscribe', room_id: room.id },
      { type: 'subscribe', room_id: room.id },
    ]);
    expect(errors.map((e) => e.code)).toEqual(['throttled', 'throttled']);
    await sam.http.sendMessage(room.id, 'you are subscribed');
    await eventually(() => received.length === 1);
    expect(received.map((m) => m.content)).toEqual(['you are subscribed']);
  });

  it('retries a throttled send with the same client_message_id, and the server stores it once', async () => {
    const room = await alice.http.createRoom();
    const tap = wiretap();
    const socket = track(alice.socket({ WebSocket: tap.WebSocket, ...fast }));
    const received = inbox(socket);
    await socket.follow(room.id, { after: 0 });
    stack.webSocket.throttle('message', 1);
    const stored = await socket.send(room.id, 'throttled once', 'c-throttled-1');
    expect(stored).toMatchObject({ id: 1, content: 'throttled once', client_message_id: 'c-throttled-1' });
    expect(tap.sent.filter((f) => f.type === 'message').map((f) => f.client_message_id)).toEqual([
      'c-throttled-1',
      'c-throttled-1',
    ]);
    expect((await alice.http.messagesAfter(room.id, 0)).map((m) => m.client_message_id)).toEqual([
      'c-throttled-1',
    ]);
    expect(socket.pending(room.id)).toEqual([]);
    await eventually(() => received.length === 1);
    // One socket all along: a throttled frame is not a dead connection.
    expect(tap.sockets).toHaveLength(1);
  });

  it('sends a throttled read pointer again, and the room hears it', async () => {
    const room = await alice.http.createRoom();
    await sam.http.sendMessage(room.id, 'one'); // joins, and leaves alice's read pointer at 0
    const tap = wiretap();
    const customer = track(alice.socket({ WebSocket: tap.WebSocket, ...fast }));
    const staff = track(sam.socket(fast));
    await Promise.all([customer.follow(room.id), staff.follow(room.id)]);
    const receipt = next(staff, 'read_receipt', (e) => e.user_id === 'alice');
    stack.webSocket.throttle('read', 1);
    customer.markRead(room.id, 1);
    expect(await receipt).toMatchObject({ room_id: room.id, user_id: 'alice', message_id: 1 });
    expect(tap.sent.filter((f) => f.type === 'read')).toEqual([
      { type: 'read', room_id: room.id, message_id: 1 },
      { type: 'read', room_id: room.id, message_id: 1 },
    ]);
    const detail = await alice.http.getRoom(room.id);
    expect(detail.members.find((m) => m.user_id === 'alice')?.last_read).toBe(1);
  });

  it('retries a throttled staff queue subscribe until it is confirmed', async () => {
    const tap = wiretap();
    const staff = track(sam.socket({ WebSocket: tap.WebSocket, ...fast }));
    stack.webSocket.throttle('subscribe', 1);
    await staff.followQueue();
    expect(tap.sent.filter((f) => f.type === 'subscribe')).toEqual([
      { type: 'subscribe', queue: true },
      { type: 'subscribe', queue: true },
    ]);
  });
});

describe('ChatSocket noticing a missing newest message', () => {
  it('finds a message whose push never came at the next room check, and delivers it once', async () => {
    const room = await alice.http.createRoom();
    await sam.http.joinRoom(room.id);
    // The push of the first message is lost (a fan-out that failed after the message was stored).
    let dropped = 0;
    const tap = wiretap((frame) => (frame.type === 'message' && dropped++ === 0 ? 'drop' : 'deliver'));
    const socket = track(alice.socket({ WebSocket: tap.WebSocket, roomCheckMs: 150 }));
    const received = inbox(socket);
    await socket.follow(room.id, { after: 0 });
    await sam.http.sendMessage(room.id, 'pushed to nobody');
    await eventually(() => received.length === 1, 3_000);
    expect(dropped).toBe(1);
    expect(received.map((m) => m.content)).toEqual(['pushed to nobody']);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(received).toHaveLength(1);
  });

  it('catches up when a room frame names a newer message than the socket was pushed', async () => {
    const room = await alice.http.createRoom();
    let dropped = 0;
    const tap = wiretap((frame) => (frame.type === 'message' && dropped++ === 0 ? 'drop' : 'deliver'));
    // No periodic check: only the `joined` frame can tell.
    const socket = track(alice.socket({ WebSocket: tap.WebSocket, roomCheckMs: 0 }));
    const received = inbox(socket);
    await socket.follow(room.id, { after: 0 });
    await alice.http.sendMessage(room.id, 'lost push');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
    await sam.http.joinRoom(room.id); // its `room` frame carries last_message_id 1
    await eventually(() => received.length === 1, 3_000);
    expect(received.map((m) => m.content)).toEqual(['lost push']);
  });
});
