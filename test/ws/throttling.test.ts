import { describe, expect, it } from 'vitest';
import { eventually, TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

// The management API answers 429 LimitExceededException past 4 requests a second, as AWS does past its
// account-wide rate: a fault the local gateway causes for real, no mock.
const stack = useLocalStack({ managementRateLimit: 4 });

describe('fan-out under management API throttling', () => {
  it('retries LimitExceededException with backoff until every socket has the message', async () => {
    const token = await stack.current.issuer.mint({ userId: 'alice' });
    const room = (await api(stack.current, token).post('/rooms/', { subject: 'busy' })).body.id;
    const tabs = await Promise.all(
      Array.from({ length: 6 }, () => TestSocket.open(stack.current, { token, room_id: room })),
    );
    const sent = await api(stack.current, token).post(`/rooms/${room}/send_message/`, {
      content: 'to every tab',
    });
    expect(sent.status).toBe(201);
    await eventually(() => {
      for (const tab of tabs) expect(tab.all('message').map((f) => f.data.content)).toEqual(['to every tab']);
    }, 15_000);
    await Promise.all(tabs.map((tab) => tab.close()));
  });
});
