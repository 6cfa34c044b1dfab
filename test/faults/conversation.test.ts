import { afterEach, describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/stack.js';
import { type Conversation, expectConverged, FAULT_CASES, openConversation, talk } from './conversation.js';

const stack = useLocalStack();
const open: Conversation['people'][number]['socket'][] = [];

afterEach(() => {
  stack.current.dynamo.faults(undefined);
  for (const socket of open.splice(0)) socket.close();
});

describe('a conversation through the typed client while DynamoDB fails', () => {
  it.each(FAULT_CASES)(
    'loses no acked message, stores none twice and converges under %s',
    async (_name, tag, schedule) => {
      const room = await openConversation(stack.current, tag);
      open.push(...room.people.map((p) => p.socket));
      stack.current.dynamo.faults(schedule);
      const outcomes = await talk(room, 6, tag);
      const counts = stack.current.dynamo.faultCounts();
      stack.current.dynamo.faults(undefined);
      // The schedule really failed requests of the kind the case is about (latency: every request waited).
      const { pass, ...failed } = counts;
      if (schedule.latencyMs === undefined || Object.keys(schedule).length > 2) {
        expect(Object.values(failed).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      }
      const stored = await expectConverged({ ...room, outcomes });
      // Most sends get through: a conversation under faults is slower, not broken.
      expect(outcomes.filter((o) => o.acked).length).toBeGreaterThanOrEqual(10);
      expect(stored.length).toBeGreaterThanOrEqual(outcomes.filter((o) => o.acked).length);
    },
  );
});
