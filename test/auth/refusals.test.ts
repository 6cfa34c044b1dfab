import { describe, expect, it } from 'vitest';
import { BAD_TOKENS } from '../support/bad-tokens.js';
import { api, useLocalStack } from '../support/stack.js';
import { BAD_SESSION_TOKENS, handshake, sessionToken, uniqueId } from './tokens.js';

const stack = useLocalStack({ stream: { batchWindowMs: 'manual' } });

const unauthorized = {
  error: { code: 'unauthorized', message: 'The bearer token is missing, invalid or expired' },
};

/** Refused alike by a `function` route (the function's 401) and by the WebSocket `$connect` authorizer. */
async function expectRefusedOnBothApis(token: string): Promise<void> {
  const response = await api(stack.current, token).get('/rooms/');
  expect([response.status, response.body]).toEqual([401, unauthorized]);
  expect(response.headers.get('www-authenticate')).toBe('Bearer');
  const created = await api(stack.current, token).post('/rooms/', { subject: 'x' });
  expect(created.status).toBe(401);
  expect(await handshake(stack.current, { token })).toBe(401);
}

describe('session tokens both APIs refuse', () => {
  it.each(BAD_SESSION_TOKENS)('refuses a session token %s', async (_name, mint) => {
    await expectRefusedOnBothApis(await mint(stack.current));
  });

  it('accepts the same token unchanged (the catalogue differs from it in one thing each)', async () => {
    const token = await sessionToken(stack.current, uniqueId('guest_'), 'guest');
    expect((await api(stack.current, token).get('/rooms/')).status).toBe(200);
    expect(await handshake(stack.current, { token })).toBe(101);
  });
});

describe('staff-issuer tokens in the session namespaces', () => {
  it.each([
    ['guest_x', false],
    ['site_x', false],
    ['guest_sam', true],
    ['site_sam', true],
  ])('refuses sub %s (staff: %s) on every route and the WebSocket', async (userId, staff) => {
    const token = await stack.current.issuer.mint({ userId, staff });
    await expectRefusedOnBothApis(token);
    // A `jwt` route: API Gateway's authorizer lets the staff issuer's token through; the function refuses it.
    const staffRoute = await api(stack.current, token).get('/active-rooms/');
    expect([staffRoute.status, staffRoute.body]).toEqual([401, unauthorized]);
  });

  it.each(['guestx', 'site-x', 'Guest_x', 'xguest_'])('accepts the account id %s', async (userId) => {
    const token = await stack.current.issuer.mint({ userId });
    expect((await api(stack.current, token).get('/rooms/')).status).toBe(200);
    expect(await handshake(stack.current, { token })).toBe(101);
  });
});

describe('staff-issuer tokens on the function routes', () => {
  it.each(BAD_TOKENS)(
    'refuses a token %s as the JWT authorizer would, with the typed 401',
    async (_n, mint) => {
      await expectRefusedOnBothApis(await mint(stack.current));
    },
  );

  it('refuses a request without a token, or with another scheme', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Basic YWxpY2U6cHc=' },
      { authorization: 'Bearer' },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${stack.current.httpUrl}/api/chat/rooms/`, { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual(unauthorized);
    }
  });
});
