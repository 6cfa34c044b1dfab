import { describe, expect, it } from 'vitest';
import { HandshakeError, TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

// The default counts, in day-long windows so that no window rolls over during a test (the window logic is
// tested with a clock in test/lambdas/storage/rate-limiter.test.ts).
const DAY = 86_400;
const stack = useLocalStack({
  environment: {
    RATE_LIMITS: JSON.stringify({
      rooms_opened: [[5, DAY]],
      messages: [[20, DAY]],
      typing: [[2, DAY]],
      sockets: 10,
      staff_factor: 10,
    }),
  },
});

let users = 0;
/** A user of their own, so each test starts with unused limits. */
async function newUser(staff = false) {
  users += 1;
  const userId = `limited-${users}`;
  const token = await stack.current.issuer.mint({ userId, staff });
  return { userId, token, http: api(stack.current, token) };
}

async function openRoom(http: ReturnType<typeof api>): Promise<string> {
  const response = await http.post('/rooms/', { subject: 'Help' });
  expect(response.status).toBe(201);
  return response.body.id;
}

function expectRateLimited(response: { status: number; body: any; headers: Headers }) {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({
    error: {
      code: 'rate_limited',
      message: expect.stringMatching(/^Too many /),
      retry_after: expect.any(Number),
    },
  });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBe(response.body.error.retry_after);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(DAY);
}

describe('per-user limits', () => {
  it('lets a customer open 5 rooms, then answers 429 with Retry-After, and stores no sixth room', async () => {
    const { http } = await newUser();
    for (let i = 0; i < 5; i++) await openRoom(http);
    expectRateLimited(await http.post('/rooms/', { subject: 'one too many' }));
    expect((await http.get('/rooms/?limit=100')).body.results).toHaveLength(5);
  });

  it('counts a customer’s messages over HTTP and the WebSocket together: 20, then 429 and an error frame', async () => {
    const { http, token } = await newUser();
    const room = await openRoom(http);
    for (let i = 0; i < 15; i++) {
      expect((await http.post(`/rooms/${room}/send_message/`, { content: `http ${i}` })).status).toBe(201);
    }
    const socket = await TestSocket.open(stack.current, { token, room_id: room });
    for (let i = 0; i < 5; i++) {
      socket.send({ type: 'message', content: `ws ${i}`, client_message_id: `ws-${i}` });
      await socket.next('ack', (d) => d.client_message_id === `ws-${i}`);
    }
    socket.send({ type: 'message', content: 'refused', client_message_id: 'ws-refused' });
    expect((await socket.next('error')).data).toEqual({
      code: 'rate_limited',
      message: expect.stringMatching(/^Too many messages/),
      retry_after: expect.any(Number),
      frame_type: 'message',
      client_message_id: 'ws-refused',
    });
    // The socket stays open.
    socket.send({ type: 'ping' });
    await socket.next('pong');
    await socket.close();
    expectRateLimited(await http.post(`/rooms/${room}/send_message/`, { content: 'refused too' }));
    const history = await http.get(`/rooms/${room}/messages/?limit=100`);
    expect(history.body.results).toHaveLength(20);
  });

  it('gives staff ten times a customer’s messages', async () => {
    const customer = await newUser();
    const staff = await newUser(true);
    const room = await openRoom(customer.http);
    const sends = await Promise.all(
      Array.from({ length: 21 }, (_, i) =>
        staff.http.post(`/rooms/${room}/send_message/`, { content: `s${i}` }),
      ),
    );
    expect(sends.map((r) => r.status)).toEqual(Array(21).fill(201));
  });

  it('lets a user send 2 typing frames over all their sockets, then answers rate_limited and keeps the socket', async () => {
    const { http, token } = await newUser();
    const room = await openRoom(http);
    const socket = await TestSocket.open(stack.current, { token, room_id: room });
    for (let i = 0; i < 3; i++) socket.send({ type: 'typing', is_typing: i % 2 === 0 });
    expect((await socket.next('error')).data).toMatchObject({ code: 'rate_limited', frame_type: 'typing' });
    expect(socket.all('error')).toHaveLength(1);
    // Another socket of the same user shares the budget: ten sockets cannot multiply it.
    const second = await TestSocket.open(stack.current, { token, room_id: room });
    second.send({ type: 'typing', is_typing: true });
    expect((await second.next('error')).data).toMatchObject({ code: 'rate_limited', frame_type: 'typing' });
    await socket.close();
    await second.close();
  });

  it('refuses an eleventh live socket of a customer with 429, and takes one again when another closes', async () => {
    const { token } = await newUser();
    const sockets = await Promise.all(
      Array.from({ length: 10 }, () => TestSocket.open(stack.current, { token })),
    );
    const refusal = await TestSocket.open(stack.current, { token }).then(
      () => 101,
      (error: unknown) => (error instanceof HandshakeError ? error.status : 0),
    );
    expect(refusal).toBe(429);
    await sockets[0]?.close();
    const again = await TestSocket.open(stack.current, { token });
    await again.close();
    for (const socket of sockets.slice(1)) await socket.close();
  });

  it('keeps exactly 10 of 14 sockets that open at the same moment', async () => {
    const { token } = await newUser();
    const results = await Promise.allSettled(
      Array.from({ length: 14 }, () => TestSocket.open(stack.current, { token })),
    );
    const opened = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(opened).toHaveLength(10);
    expect(
      results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as HandshakeError).status] : [])),
    ).toEqual([429, 429, 429, 429]);
    for (const socket of opened) await socket.close();
  });
});
