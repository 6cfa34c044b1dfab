import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../client/support.js';
import { useLocalStack } from '../support/stack.js';
import { type Conversation, expectConverged, FAULT_CASES, openConversation, talk } from './conversation.js';

// What the hardening issue's gap-free ids (item 9) and safe retries promise on top of conversation.test.ts:
// no holes in ids, and previews and unread counts that agree with the stored history after faults.
const stack = useLocalStack();
const open: Conversation['people'][number]['socket'][] = [];

afterEach(() => {
  stack.current.dynamo.faults(undefined);
  for (const socket of open.splice(0)) socket.close();
});

describe('strict convergence under DynamoDB faults', () => {
  it.each(FAULT_CASES)(
    'keeps ids gap-free and previews and unread counts true to history under %s',
    async (_name, tag, schedule) => {
      const room = await openConversation(stack.current, `s${tag}`);
      open.push(...room.people.map((p) => p.socket));
      stack.current.dynamo.faults(schedule);
      const outcomes = await talk(room, 6, `s${tag}`);
      stack.current.dynamo.faults(undefined);
      const stored = await expectConverged({ ...room, outcomes });
      expect.soft(stored.map((m) => m.id)).toEqual(stored.map((_, i) => i + 1));
      const newest = stored.at(-1);
      await eventually(async () => {
        for (const { user } of room.people) {
          const detail = await user.http.getRoom(room.roomId);
          expect(detail.last_message_id).toBe(newest?.id ?? 0);
          expect(detail.last_message).toMatchObject({ id: newest?.id, sender_id: newest?.sender_id });
          const lastRead = detail.members.find((m) => m.user_id === user.userId)?.last_read ?? 0;
          expect(detail.unread_count).toBe(stored.filter((m) => m.id > lastRead).length);
        }
      });
    },
  );
});
