import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../client/support.js';
import { useLocalStack } from '../support/stack.js';
import { type Conversation, expectConverged, openConversation, talk } from './conversation.js';

const stack = useLocalStack();
const open: Conversation['people'][number]['socket'][] = [];

afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

describe('a conversation whose sockets vanish without a close frame', () => {
  it('loses no acked message, stores none twice and converges when both sockets are cut mid-conversation', async () => {
    const room = await openConversation(stack.current, 'cut');
    open.push(...room.people.map((p) => p.socket));
    const before = stack.current.webSocket.connectionIds();
    expect(before).toHaveLength(2);
    const sending = talk(room, 8, 'cut');
    // Once some messages are through, cut both TCP connections: no close frame, no $disconnect.
    await eventually(() => room.people.every(({ received }) => received.length >= 3));
    for (const id of before) stack.current.webSocket.drop(id);
    const outcomes = await sending;
    // Both clients came back on new sockets.
    await eventually(() => {
      const now = stack.current.webSocket.connectionIds();
      expect(now).toHaveLength(2);
      expect(now.filter((id) => before.includes(id))).toEqual([]);
    });
    const stored = await expectConverged({ ...room, outcomes });
    expect(outcomes.filter((o) => o.acked)).toHaveLength(16);
    expect(stored).toHaveLength(16);
  });
});
