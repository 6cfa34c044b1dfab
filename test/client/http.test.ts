import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatApiError, ChatNetworkError } from '../../client/errors.js';
import { ChatHttp } from '../../client/http.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { type TestUser, user } from './support.js';

let stack: LocalStack;
let alice: TestUser;
let bob: TestUser;
let sam: TestUser;

beforeAll(async () => {
  stack = await startLocalStack({ httpPort: 0, wsPort: 0 });
  [alice, bob, sam] = await Promise.all([
    user(stack, 'alice'),
    user(stack, 'bob'),
    user(stack, 'sam-staff', true),
  ]);
});

afterAll(async () => {
  await stack?.stop();
});

async function rejection(promise: Promise<unknown>): Promise<ChatApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChatApiError);
  return error as ChatApiError;
}

describe('ChatHttp', () => {
  it('opens a room and reads it back with its members', async () => {
    const room = await alice.http.createRoom({ room_type: 'orders', subject: '  Where is my parcel?  ' });
    expect(room).toMatchObject({
      room_type: 'orders',
      subject: 'Where is my parcel?',
      status: 'open',
      customer_id: 'alice',
      last_message_id: 0,
      unread_count: 0,
    });
    const detail = await alice.http.getRoom(room.id);
    expect(detail.members).toEqual([
      { user_id: 'alice', role: 'customer', last_read: 0, is_online: false, name: null },
    ]);
    const mine = await alice.http.listRooms();
    expect(mine.results.map((r) => r.id)).toContain(room.id);
  });

  it('sends idempotently: 201 then 200 with the stored message for the same client_message_id', async () => {
    const room = await alice.http.createRoom();
    const first = await alice.http.sendMessage(room.id, 'hello', 'c-http-1');
    const again = await alice.http.sendMessage(room.id, 'hello (retry)', 'c-http-1');
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.message).toEqual(first.message);
    expect(first.message).toMatchObject({
      id: 1,
      sender_id: 'alice',
      sender_role: 'customer',
      content: 'hello',
    });
  });

  it('pages history both ways, ascending, and messagesAfter follows has_more to the end', async () => {
    const room = await alice.http.createRoom();
    for (let i = 1; i <= 25; i++) await alice.http.sendMessage(room.id, `m${i}`);
    const newest = await alice.http.listMessages(room.id, { limit: 10 });
    expect(newest.results.map((m) => m.id)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(newest.has_more).toBe(true);
    const older = await alice.http.listMessages(room.id, { limit: 10, before: 16 });
    expect(older.results.map((m) => m.id)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const all = await alice.http.messagesAfter(room.id, 3, 7);
    expect(all.map((m) => m.id)).toEqual(Array.from({ length: 22 }, (_, i) => i + 4));
  });

  it('lets staff see the queue, join, mark read, leave and close', async () => {
    const room = await alice.http.createRoom({ subject: 'refund' });
    await alice.http.sendMessage(room.id, 'I want a refund');
    const queue = await sam.http.activeRooms({ limit: 100 });
    expect(queue.results.find((r) => r.id === room.id)).toMatchObject({ unread_count: 1, staff_ids: [] });
    expect((await sam.http.joinRoom(room.id)).staff_ids).toEqual(['sam-staff']);
    expect(await sam.http.markRead(room.id)).toEqual({
      room_id: room.id,
      user_id: 'sam-staff',
      last_read: 1,
      unread_count: 0,
    });
    expect((await sam.http.leaveRoom(room.id)).staff_ids).toEqual([]);
    expect((await sam.http.closeRoom(room.id)).status).toBe('closed');
    expect(await sam.http.onlineStaff()).toEqual([]);
    const ticket = await sam.http.createWsTicket();
    expect(ticket.expires_in).toBe(60);
    expect(ticket.ticket).toMatch(/^[\w-]{20,}$/);
  });

  it.each([
    ['another customer’s room', () => bob.http.getRoom(roomOfAlice), 404, 'room_not_found'],
    ['the staff queue as a customer', () => alice.http.activeRooms(), 403, 'staff_only'],
    ['a message to a closed room', () => alice.http.sendMessage(closedRoom, 'hi'), 409, 'room_closed'],
    ['an empty message', () => alice.http.sendMessage(roomOfAlice, '   '), 400, 'invalid_request'],
    ['a room opened by staff', () => sam.http.createRoom(), 403, 'customers_only'],
  ])('refuses %s with a typed error', async (_name, call, status, code) => {
    const error = await rejection(call());
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(error.message).not.toBe('');
  });

  it('names the offending field of a bad request', async () => {
    const error = await rejection(alice.http.createRoom({ room_type: 'Not Valid!' }));
    expect(error.details).toEqual([
      { field: 'room_type', message: 'room_type must be 1 to 32 lowercase letters, digits, - or _' },
    ]);
  });

  it('turns the gateway’s own 401 (a `jwt` route) into code unauthorized', async () => {
    const http = new ChatHttp({ baseUrl: stack.httpUrl, getToken: () => 'not-a-jwt' });
    const error = await rejection(http.activeRooms());
    expect([error.status, error.code, error.message]).toEqual([401, 'unauthorized', 'Unauthorized']);
  });

  it('reads the function’s typed 401 (a `function` route) as code unauthorized', async () => {
    const http = new ChatHttp({ baseUrl: stack.httpUrl, getToken: () => 'not-a-jwt' });
    const error = await rejection(http.listRooms());
    expect([error.status, error.code, error.message]).toEqual([
      401,
      'unauthorized',
      'The bearer token is missing, invalid or expired',
    ]);
  });

  it('reports an unreachable server as a network error', async () => {
    const http = new ChatHttp({ baseUrl: 'http://127.0.0.1:9', getToken: () => alice.token });
    await expect(http.listRooms()).rejects.toBeInstanceOf(ChatNetworkError);
  });
});

let roomOfAlice: string;
let closedRoom: string;
beforeAll(async () => {
  roomOfAlice = (await alice.http.createRoom()).id;
  closedRoom = (await alice.http.createRoom()).id;
  await alice.http.closeRoom(closedRoom);
});
