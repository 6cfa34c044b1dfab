import { describe, expect, it } from 'vitest';
import { eventually, settle, TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

// The redelivery queue at 1/100 of real time: the 2 s delay is 20 ms, the 60 s visibility timeout 600 ms.
const stack = useLocalStack({ redelivery: { timeScale: 0.01 } });
// The management API client makes 4 attempts per post (lambdas/runtime/command-deps.ts).
const ATTEMPTS = 4;

async function roomWithCustomer(name: string) {
  const token = await stack.current.issuer.mint({ userId: name });
  const staff = await stack.current.issuer.mint({ userId: `${name}-agent`, staff: true });
  const { body: room } = await api(stack.current, token).post('/rooms/', { subject: 'Redelivery' });
  const socket = await TestSocket.open(stack.current, { token, room_id: room.id });
  return { room, socket, staff: api(stack.current, staff), customer: api(stack.current, token) };
}

describe('frames the management API refused', () => {
  it('are posted again from the queue after the invocation that failed, once', async () => {
    const { room, socket, staff } = await roomWithCustomer('redelivered');
    await staff.post(`/rooms/${room.id}/join/`);
    await socket.next('room', (d) => d.event === 'joined');
    stack.current.webSocket.failPosts(socket.connectionId, ATTEMPTS);
    expect((await staff.post(`/rooms/${room.id}/send_message/`, { content: 'are you there?' })).status).toBe(
      201,
    );
    const frame = await socket.next('message', (d) => d.content === 'are you there?');
    expect(frame.data.id).toBe(1);
    await stack.current.redelivery.drain();
    expect(socket.all('message').filter((f) => f.data.content === 'are you there?')).toHaveLength(1);
    expect(stack.current.redelivery.deadLetters()).toEqual([]);
    await socket.close();
  });

  it('are kept in the dead-letter queue after the last attempt', async () => {
    const { room, socket, staff } = await roomWithCustomer('dead-lettered');
    await staff.post(`/rooms/${room.id}/join/`);
    await socket.next('room', (d) => d.event === 'joined');
    stack.current.webSocket.failPosts(socket.connectionId, 1_000);
    await staff.post(`/rooms/${room.id}/send_message/`, { content: 'never arrives live' });
    await eventually(() => expect(stack.current.redelivery.deadLetters()).toHaveLength(1), 10_000);
    stack.current.webSocket.failPosts(socket.connectionId, 0);
    const [dead] = stack.current.redelivery.deadLetters();
    expect(JSON.parse(dead!)).toMatchObject({ target: { connectionId: socket.connectionId } });
    expect(JSON.parse(JSON.parse(dead!).data)).toMatchObject({
      type: 'message',
      data: { content: 'never arrives live' },
    });
    expect(socket.all('message')).toEqual([]);
    await socket.close();
  });

  it('are not queued when they are typing indicators, which mean nothing late', async () => {
    const { room, socket, customer } = await roomWithCustomer('typing-late');
    const token = await stack.current.issuer.mint({ userId: 'typing-late-agent', staff: true });
    await api(stack.current, token).post(`/rooms/${room.id}/join/`);
    const agent = await TestSocket.open(stack.current, { token, room_id: room.id });
    const queued = stack.current.redelivery.sent();
    stack.current.webSocket.failPosts(socket.connectionId, ATTEMPTS);
    agent.send({ type: 'typing', is_typing: true });
    await settle(300);
    await stack.current.redelivery.drain();
    expect(socket.all('typing')).toEqual([]);
    expect(stack.current.redelivery.sent()).toBe(queued);
    expect((await customer.get(`/rooms/${room.id}/`)).status).toBe(200);
    await socket.close();
    await agent.close();
  });
});
