import { describe, expect, it } from 'vitest';
import { settle, TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

const stack = useLocalStack();

/** Resolves when the server closes the socket, with its close code. */
const closed = (socket: TestSocket) =>
  new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code)));

/** Waits until a token minted now with `ttlSeconds` has expired (exp has one-second granularity). */
const untilExpired = (ttlSeconds: number) => settle((ttlSeconds + 1) * 1000 - (Date.now() % 1000) + 50);

describe('a socket outlives no token', () => {
  it.each([
    ['a token', async (token: string) => ({ token })],
    [
      'a ticket',
      async (token: string) => ({
        ticket: (await api(stack.current, token).post('/ws-ticket/')).body.ticket,
      }),
    ],
  ])(
    'answers token_expired and closes a socket opened with %s once the token expired',
    async (_how, query) => {
      const token = await stack.current.issuer.mint({ userId: `short-${Math.random()}`, ttlSeconds: 2 });
      const { body: room } = await api(stack.current, token).post('/rooms/', { subject: 'Soon gone' });
      const socket = await TestSocket.open(stack.current, { ...(await query(token)), room_id: room.id });
      socket.send({ type: 'message', content: 'in time', client_message_id: 'before' });
      await socket.next('ack');
      await untilExpired(2);
      const gone = closed(socket);
      socket.send({ type: 'message', content: 'too late', client_message_id: 'after' });
      expect((await socket.next('error')).data).toEqual({
        code: 'token_expired',
        message: 'The token this socket connected with has expired; reconnect with a fresh one',
      });
      expect(await gone).toBe(1000);
      const fresh = await stack.current.issuer.mint({ userId: 'reader', staff: true });
      const history = await api(stack.current, fresh).get(`/rooms/${room.id}/messages/`);
      expect(history.body.results.map((m: { content: string }) => m.content)).toEqual(['in time']);
    },
  );

  it('answers a ping after expiry with token_expired instead of pong', async () => {
    const token = await stack.current.issuer.mint({ userId: 'idle', ttlSeconds: 1 });
    const socket = await TestSocket.open(stack.current, { token });
    await untilExpired(1);
    socket.send({ type: 'ping' });
    expect((await socket.next('error')).data.code).toBe('token_expired');
    expect(socket.all('pong')).toEqual([]);
    await socket.close();
  });

  it('pushes nothing more to a socket whose token expired, even one that only listens', async () => {
    const token = await stack.current.issuer.mint({ userId: `listener-${Math.random()}`, ttlSeconds: 2 });
    const staff = await stack.current.issuer.mint({ userId: 'pusher-agent', staff: true });
    const { body: room } = await api(stack.current, token).post('/rooms/', { subject: 'Listening' });
    const socket = await TestSocket.open(stack.current, { token, room_id: room.id });
    await api(stack.current, staff).post(`/rooms/${room.id}/send_message/`, { content: 'in time' });
    await socket.next('message', (d) => d.content === 'in time');
    await untilExpired(2);
    await api(stack.current, staff).post(`/rooms/${room.id}/send_message/`, { content: 'after expiry' });
    await settle(300);
    expect(socket.all('message').map((f) => f.data.content)).toEqual(['in time']);
    await socket.close();
  });

  it('refuses a token without exp at $connect', async () => {
    const token = await stack.current.issuer.mint({ userId: 'forever', extraClaims: { exp: undefined } });
    await expect(TestSocket.open(stack.current, { token })).rejects.toMatchObject({ status: 401 });
  });
});
