import { describe, expect, it } from 'vitest';
import { eventually, type Frame, TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

const stack = useLocalStack();

/** Mints a token whose groups claim is exactly `groups`, as an identity provider would sign it. */
const tokenWithGroups = (userId: string, groups: unknown) =>
  stack.current.issuer.mint({ userId, extraClaims: { 'cognito:groups': groups } });

/** Staff on the HTTP API: the staff-only queue answers 200, and 403 to a customer. */
async function staffOverHttp(token: string): Promise<boolean> {
  const { status } = await api(stack.current, token).get('/active-rooms/');
  expect([200, 403]).toContain(status);
  return status === 200;
}

/** Staff on the WebSocket API: the queue subscription is answered, and refused with staff_only otherwise. */
async function staffOverWebSocket(token: string): Promise<boolean> {
  const socket = await TestSocket.open(stack.current, { token });
  try {
    socket.send({ type: 'subscribe', queue: true });
    const isAnswer = (frame: Frame) => (frame.type === 'room' && frame.data.queue) || frame.type === 'error';
    await eventually(() => expect(socket.frames.some(isAnswer)).toBe(true));
    const answer = socket.frames.find(isAnswer);
    if (answer?.type === 'error') expect(answer.data).toMatchObject({ code: 'staff_only' });
    return answer?.type === 'room';
  } finally {
    await socket.close();
  }
}

describe('staff from the groups claim, on both APIs', () => {
  // API Gateway flattens every one of these arrays to a string that contains the word "staff".
  it.each([
    ['a group whose name merely contains the word', ['Kitchen staff']],
    ['a negated group', ['Not staff']],
    ['a group with a comma', ['x,staff']],
    ['a group with a trailing space', ['staff ']],
    ['a group in other case', ['Staff']],
    ['a bracketed string', '[staff]'],
    ['a list in one string', 'admins staff'],
    ['a JSON text', '["staff"]'],
    ['no groups', []],
    ['a number', 42],
  ])('makes a customer of %s (%j)', async (_case, groups) => {
    const token = await tokenWithGroups(`u-${Math.random().toString(36).slice(2)}`, groups);
    expect(await staffOverHttp(token)).toBe(false);
    expect(await staffOverWebSocket(token)).toBe(false);
  });

  it.each([
    ['the exact group', ['staff']],
    ['the exact group among others', ['Former staff', 'staff', 'admins']],
    ['the exact group as a single string', 'staff'],
  ])('makes staff of %s (%j)', async (_case, groups) => {
    const token = await tokenWithGroups(`u-${Math.random().toString(36).slice(2)}`, groups);
    expect(await staffOverHttp(token)).toBe(true);
    expect(await staffOverWebSocket(token)).toBe(true);
  });
});

describe('user ids that cannot key the table', () => {
  /** Whether the WebSocket API refuses the token at `$connect`, as it refuses any bad token: 401. */
  async function refusedOverWebSocket(token: string): Promise<number | undefined> {
    try {
      const socket = await TestSocket.open(stack.current, { token });
      await socket.close();
      return undefined;
    } catch (error) {
      return (error as { status?: number }).status;
    }
  }

  it.each([
    ['a lone surrogate', 'ab\ud800cd'],
    ['a control character', 'ab\u0000cd'],
    ['256 bytes', 'a'.repeat(256)],
    ['256 bytes of two-byte characters', 'é'.repeat(128)],
    ['an empty string', ''],
  ])('refuses a sub with %s with 401 on both APIs', async (_case, userId) => {
    const token = await stack.current.issuer.mint({ userId });
    const response = await api(stack.current, token).get('/rooms/');
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      error: { code: 'unauthorized', message: 'The bearer token is missing, invalid or expired' },
    });
    expect(await refusedOverWebSocket(token)).toBe(401);
  });

  it.each([
    ['255 bytes', 'a'.repeat(255)],
    ['a # and a %', 'a#b%20c'],
    ['emoji', 'user-🙂'],
  ])('accepts a sub of %s and keys its rooms by it', async (_case, userId) => {
    const token = await stack.current.issuer.mint({ userId });
    const created = await api(stack.current, token).post('/rooms/', { subject: 'Hello' });
    expect(created.status).toBe(201);
    expect(created.body.customer_id).toBe(userId);
    const listed = await api(stack.current, token).get('/rooms/');
    expect(listed.body.results.map((room: { id: string }) => room.id)).toEqual([created.body.id]);
  });
});
