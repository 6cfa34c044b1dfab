import { describe, expect, it } from 'vitest';
import { type HttpRoute, httpRoutes } from '../../lambdas/contract/routes.js';
import type { SessionKind } from '../../lambdas/domain/namespaces.js';
import type { LocalStack } from '../../local/stack.js';
import { eventually, TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';
import { sessionClaims, sessionToken, signedByKms, uniqueId } from './tokens.js';

// The stream's batches are cut only by a flush (none here): its consumer never runs.
const stack = useLocalStack({ stream: { batchWindowMs: 'manual' } });

const holders: readonly (readonly [SessionKind, 'guest_' | 'site_'])[] = [
  ['guest', 'guest_'],
  ['verified', 'site_'],
];

/** A customer's request to each `function` route, and the answer a customer gets. */
const customerRequests: Readonly<Record<string, { readonly body?: unknown; readonly status: number }>> = {
  'http/list-rooms': { status: 200 },
  'http/create-room': { body: { subject: 'Hello from a session' }, status: 201 },
  'http/get-room': { status: 200 },
  'http/list-messages': { status: 200 },
  'http/close-room': { status: 200 },
  'http/send-message': { body: { content: 'hi' }, status: 201 },
  'http/mark-read': { body: {}, status: 200 },
  'http/online-staff': { status: 200 },
  'http/create-ws-ticket': { body: {}, status: 201 },
};

const functionRoutes = httpRoutes.filter((route) => route.auth === 'function');
const jwtRoutes = httpRoutes.filter((route) => route.auth === 'jwt');

/** Calls a route of the table through the edge (trailing slash), `{id}` filled in. */
async function call(route: HttpRoute, token: string, roomId: string, body?: unknown) {
  const response = await fetch(`${stack.current.httpUrl}${route.path.replace('{id}', roomId)}/`, {
    method: route.method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}),
    },
    ...(route.method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function openRoomAs(current: LocalStack, token: string): Promise<{ id: string; customer_id: string }> {
  const created = await api(current, token).post('/rooms/', { subject: 'Where is my order?' });
  expect(created.status).toBe(201);
  return created.body;
}

describe('session tokens on the HTTP API', () => {
  it('has its cases for function routes only', () => {
    // A new `function` route without a case below is still held to "not refused" by the matrix.
    const handlers = new Set(functionRoutes.map((route) => route.handler));
    expect(Object.keys(customerRequests).filter((handler) => !handlers.has(handler))).toEqual([]);
  });

  const matrix = holders.flatMap(([kind, prefix]) =>
    functionRoutes.map((route) => [kind, `${route.method} ${route.path}`, prefix, route] as const),
  );
  it.each(matrix)('lets a %s session call %s as a customer', async (kind, _key, prefix, route) => {
    const userId = uniqueId(prefix);
    const token = await sessionToken(stack.current, userId, kind);
    const room = await openRoomAs(stack.current, token);
    expect(room.customer_id).toBe(userId);
    const expected = customerRequests[route.handler];
    const response = await call(route, token, room.id, expected?.body);
    if (expected) expect(response.status).toBe(expected.status);
    else expect(response.status === 401 || response.status >= 500).toBe(false);
  });

  it('keeps a session customer to its own rooms', async () => {
    const owner = await sessionToken(stack.current, uniqueId('guest_'), 'guest');
    const other = await sessionToken(stack.current, uniqueId('guest_'), 'guest');
    const room = await openRoomAs(stack.current, owner);
    const response = await api(stack.current, other).get(`/rooms/${room.id}/`);
    expect(response.status).toBe(404);
  });

  it('makes a customer of a session token that carries a staff groups claim', async () => {
    const userId = uniqueId('site_');
    const token = await signedByKms(stack.current, {
      ...sessionClaims(userId, 'verified'),
      'cognito:groups': ['staff'],
    });
    // Only customers open rooms (staff get 403 customers_only).
    const room = await openRoomAs(stack.current, token);
    expect(room.customer_id).toBe(userId);
    const socket = await TestSocket.open(stack.current, { token });
    socket.send({ type: 'subscribe', queue: true });
    expect((await socket.next('error')).data).toMatchObject({ code: 'staff_only' });
    await socket.close();
  });

  it.each(jwtRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    'refuses a session token on the staff route %s with 401',
    async (_key, route) => {
      const staff = await stack.current.issuer.mint({ userId: 'sam', staff: true });
      const token = await sessionToken(stack.current, uniqueId('guest_'), 'guest');
      const room = await openRoomAs(stack.current, token);
      const response = await call(route, token, room.id);
      // API Gateway's JWT authorizer (the staff issuer alone) refuses it before the function runs.
      expect([response.status, response.body]).toEqual([401, { message: 'Unauthorized' }]);
      // The same request with a staff token is answered by the function (assign needs to know whom to).
      const body = route.path.endsWith('/assign') ? { staff_id: 'sam' } : undefined;
      expect((await call(route, staff, room.id, body)).status).toBe(200);
    },
  );
});

describe('session tokens on the WebSocket API', () => {
  it.each(holders)('connects a %s session with ?token= as the room’s customer', async (kind, prefix) => {
    const userId = uniqueId(prefix);
    const token = await sessionToken(stack.current, userId, kind);
    const room = await openRoomAs(stack.current, token);
    const socket = await TestSocket.open(stack.current, { token, room_id: room.id });
    socket.send({ type: 'message', content: 'hello', client_message_id: 'c-1' });
    expect((await socket.next('ack')).data.message).toMatchObject({ sender_id: userId, room_id: room.id });
    socket.send({ type: 'subscribe', queue: true });
    expect((await socket.next('error')).data).toMatchObject({ code: 'staff_only' });
    await socket.close();
  });

  it.each(holders)('connects a %s session with a ws-ticket', async (kind, prefix) => {
    const userId = uniqueId(prefix);
    const token = await sessionToken(stack.current, userId, kind);
    const room = await openRoomAs(stack.current, token);
    const ticket = await api(stack.current, token).post('/ws-ticket/');
    expect(ticket.status).toBe(201);
    const socket = await TestSocket.open(stack.current, { ticket: ticket.body.ticket, room_id: room.id });
    socket.send({ type: 'message', content: 'via ticket', client_message_id: 't-1' });
    expect((await socket.next('ack')).data.message).toMatchObject({ sender_id: userId });
    await socket.close();
  });

  it('lets staff see a session customer’s message in the room', async () => {
    const userId = uniqueId('guest_');
    const token = await sessionToken(stack.current, userId, 'guest');
    const room = await openRoomAs(stack.current, token);
    const staffToken = await stack.current.issuer.mint({ userId: 'sam', staff: true });
    const staff = await TestSocket.open(stack.current, { token: staffToken, room_id: room.id });
    const customer = await TestSocket.open(stack.current, { token, room_id: room.id });
    customer.send({ type: 'message', content: 'is anyone there?', client_message_id: 'c-2' });
    const seen = await staff.next('message', (data) => data.room_id === room.id);
    expect(seen.data).toMatchObject({ sender_id: userId, content: 'is anyone there?' });
    await eventually(() => expect(customer.frames.some((f) => f.type === 'ack')).toBe(true));
    await Promise.all([staff.close(), customer.close()]);
  });
});
