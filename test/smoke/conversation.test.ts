import { describe, expect, it } from 'vitest';
import { formatStep, runConversation, SMOKE_STEPS } from '../../smoke/conversation.js';
import { api, useLocalStack } from '../support/stack.js';

const stack = useLocalStack();
/** The socket on the public origin (the local edge), where deployed clients find it. */
const publicWs = () => `${stack.current.httpUrl.replace(/^http/, 'ws')}/ws`;

const target = async (run: string, staff: boolean) => {
  const [customerToken, staffToken] = await Promise.all([
    stack.current.issuer.mint({ userId: `${run}-customer` }),
    stack.current.issuer.mint({ userId: `${run}-staff`, staff }),
  ]);
  return {
    httpUrl: stack.current.httpUrl,
    wsUrl: publicWs(),
    customerToken: () => customerToken,
    staffToken: () => staffToken,
    customer: customerToken,
  };
};

describe('the smoke conversation', () => {
  it('passes every step against the local stack, reporting each as it happens', async () => {
    const lines: string[] = [];
    const report = await runConversation(await target('ok', true), {
      onStep: (s) => lines.push(formatStep(s)),
    });
    expect(report.steps.map((s) => [s.name, s.status, s.error])).toEqual(
      SMOKE_STEPS.map((name) => [name, 'pass', undefined]),
    );
    expect(report.ok).toBe(true);
    expect(lines).toHaveLength(SMOKE_STEPS.length);
    for (const [i, line] of lines.entries())
      expect(line).toMatch(new RegExp(`^PASS  ${SMOKE_STEPS[i]}  \\(\\d+ ms\\)$`));
  });

  it('reports the failing step, skips the rest, and closes the room it opened', async () => {
    const t = await target('broken', false); // the "staff member" is a customer: the queue is staff-only
    const report = await runConversation(t);
    expect(report.ok).toBe(false);
    expect(report.steps.map((s) => s.status)).toEqual(['pass', 'pass', 'fail', ...Array(6).fill('skip')]);
    expect(report.steps[2]?.error).toMatch(/staff/i);
    expect(formatStep(report.steps[3]!)).toBe('SKIP  staff joins');
    const rooms = await api(stack.current, t.customer).get('/rooms/');
    expect(rooms.body.results.map((r: { status: string }) => r.status)).toEqual(['closed']);
  });
});
