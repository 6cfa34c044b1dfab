import { describe, expect, it } from 'vitest';
import { TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';

// One reading answers everyone for 1 s here (5 s by default), so the tests wait for it to run out.
const stack = useLocalStack({ environment: { SUPPORT_STATUS_CACHE_SECONDS: '1' } });
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks as a visitor would: no token at all. */
const status = () => api(stack.current).get<{ online: boolean; checked_at: string }>('/support-status/');

describe('GET /api/chat/support-status/', () => {
  it('answers a caller without a token with a yes or no and when it was read, and no ids', async () => {
    const response = await status();
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ online: false, checked_at: expect.stringMatching(ISO_MS) });
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=0, s-maxage=[01]$/);
  });

  it('says yes once a staff socket is open, within the shared reading’s life', async () => {
    await pause(1_100);
    const token = await stack.current.issuer.mint({ userId: 'sam', staff: true });
    const socket = await TestSocket.open(stack.current, { token });
    try {
      const started = Date.now();
      let answer = await status();
      while (!answer.body.online && Date.now() - started < 3_000) {
        await pause(100);
        answer = await status();
      }
      expect(answer.body.online).toBe(true);
      // Read after the socket opened, or the answer would not say yes.
      expect(Date.parse(answer.body.checked_at)).toBeGreaterThanOrEqual(started - 1_000);
    } finally {
      await socket.close();
    }
  });

  it('answers 50 concurrent callers with one Query of the staff presence partition', async () => {
    await pause(1_100);
    stack.current.dynamo.resetStats();
    const answers = await Promise.all(Array.from({ length: 50 }, () => status()));
    expect(new Set(answers.map((a) => a.body.checked_at)).size).toBe(1);
    expect(stack.current.dynamo.stats()).toEqual({ Query: 1 });
    // Within the reading's life, more callers cost nothing at all.
    stack.current.dynamo.resetStats();
    await status();
    expect(stack.current.dynamo.stats()).toEqual({});
  });

  it('tells the online-staff list when it was read, too', async () => {
    const token = await stack.current.issuer.mint({ userId: 'tess', staff: true });
    const before = Date.now();
    const response = await api(stack.current, token).get('/online-staff/');
    expect(response.body).toEqual({
      results: [],
      next_cursor: null,
      checked_at: expect.stringMatching(ISO_MS),
    });
    expect(Date.parse(response.body.checked_at)).toBeGreaterThanOrEqual(before);
  });
});
