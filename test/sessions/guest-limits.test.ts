import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/stack.js';
import { costOf, guestSession, identityToken, newGuest } from './support.js';

// Three guest sessions a day per address, so that the test reaches the limit (the defaults are 20 per half
// hour and 100 a day); in a day-long window, which does not roll over during the test.
const DAY = 86_400;
const stack = useLocalStack({
  environment: {
    RATE_LIMITS: JSON.stringify({
      rooms_opened: [[100_000, 600]],
      messages: [[100_000, 10]],
      typing: [[100_000, 1]],
      guest_sessions: [[3, DAY]],
      sockets: 1_000,
    }),
  },
});

// Linux routes all of 127.0.0.0/8 to the loopback interface: a client bound to 127.0.0.2 is another viewer
// to the local edge, which sets the viewer address from the connection's peer, as CloudFront does.
const OTHER_VIEWER = '127.0.0.2';

describe('guest sessions per source address', () => {
  it('answers the fourth guest session of an address 429 rate_limited with Retry-After, and only there', async () => {
    const guests = [];
    for (let i = 0; i < 3; i++) guests.push(await newGuest(stack.current));

    const cost = await costOf(stack.current, () => guestSession(stack.current));
    const refused = cost.result;
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringMatching(/^Too many guest sessions: try again in \d+ s$/),
        retry_after: expect.any(Number),
      },
    });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBe(refused.body.error.retry_after);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(DAY);
    // One refused counter update; no session stored, nothing signed.
    expect(cost.dynamodb).toEqual({ UpdateItem: 1 });
    expect(cost.sign).toBe(0);

    // A header the caller sets cannot make it another viewer: the edge replaces it.
    const forged = await guestSession(stack.current, undefined, {
      headers: { 'x-chat-viewer-address': '203.0.113.9', 'x-forwarded-for': '203.0.113.9' },
    });
    expect(forged.status).toBe(429);

    // Another address is unaffected.
    const other = await guestSession(stack.current, undefined, { localAddress: OTHER_VIEWER });
    expect(other.status).toBe(201);

    // Refreshes and identity exchanges of the limited address are not counted against it.
    const renewed = await guestSession(stack.current, { refresh_token: guests[0]?.refresh_token });
    expect(renewed.status).toBe(200);
    const verified = await guestSession(stack.current, {
      identity_token: await identityToken(stack.current, { sub: 'behind-a-busy-nat' }),
    });
    expect(verified.status).toBe(201);
  });
});
