import { describe, expect, it } from 'vitest';
import { LOCAL_SESSION_ISSUER } from '../../local/kms.js';
import { useLocalStack } from '../support/stack.js';
import { costOf, guestSession, newGuest, payloadOf, post, type SessionBody, sleep } from './support.js';

// A refresh secret's grace after its first use, short so that the test sees it end (the default is 60 s).
const GRACE_SECONDS = 2;
const stack = useLocalStack({ environment: { REFRESH_GRACE_SECONDS: String(GRACE_SECONDS) } });

const refresh = (refreshToken: string) => guestSession(stack.current, { refresh_token: refreshToken });

function expectSession(body: SessionBody, kind: 'guest' | 'verified', userId?: string) {
  expect(body).toEqual({
    token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    user_id: userId ?? expect.stringMatching(/^guest_[0-9a-f-]{36}$/),
    kind,
    expires_at: expect.any(String),
    refresh_token: expect.stringMatching(/^[\w-]{43}$/),
  });
  const claims = payloadOf(body.token);
  expect(claims).toEqual({
    iss: LOCAL_SESSION_ISSUER,
    aud: 'live-chat',
    sub: body.user_id,
    kind,
    token_use: 'session',
    iat: expect.any(Number),
    exp: (claims.iat as number) + 3600,
    jti: expect.any(String),
  });
  expect(body.expires_at).toBe(new Date((claims.exp as number) * 1000).toISOString());
}

describe('POST /api/chat/guest-sessions/ without a token', () => {
  it('answers 201 with a one-hour session for a new guest_ id and a refresh secret', async () => {
    const response = await guestSession(stack.current);
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expectSession(response.body, 'guest');
  });

  it('answers an empty JSON object the same, each time for another guest', async () => {
    const first = await guestSession(stack.current, {});
    const second = await guestSession(stack.current, {});
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.body.user_id).not.toBe(second.body.user_id);
    expect(first.body.refresh_token).not.toBe(second.body.refresh_token);
  });

  it('costs one limit counter write, one refresh item put and one KMS Sign', async () => {
    const cost = await costOf(stack.current, () => newGuest(stack.current));
    expect(cost.dynamodb).toEqual({ UpdateItem: 1, PutItem: 1 });
    expect(cost.units).toEqual({ read: 0, write: 2 });
    expect([cost.sign, cost.secrets]).toEqual([1, 0]);
  });

  it.each([
    ['both tokens', { refresh_token: 'a', identity_token: 'b' }, 'invalid_request'],
    ['a refresh_token that is no string', { refresh_token: 5 }, 'invalid_request'],
    ['an empty identity_token', { identity_token: '' }, 'invalid_request'],
  ])('refuses %s with 400', async (_case, body, code) => {
    const cost = await costOf(stack.current, () => guestSession(stack.current, body));
    expect(cost.result.status).toBe(400);
    expect(cost.result.body.error.code).toBe(code);
    expect([cost.dynamodb, cost.sign]).toEqual([{}, 0]);
  });

  it('refuses a body that is not JSON with 400 invalid_json', async () => {
    const response = await fetch(`${stack.current.httpUrl}/api/chat/guest-sessions/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"refresh_token":',
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('invalid_json');
  });
});

describe('POST /api/chat/guest-sessions/ with a refresh_token', () => {
  it('answers 200 for the same guest with a new token and a new refresh secret', async () => {
    const guest = await newGuest(stack.current);
    const cost = await costOf(stack.current, () => refresh(guest.refresh_token));
    expect(cost.result.status).toBe(200);
    expectSession(cost.result.body, 'guest', guest.user_id);
    expect(cost.result.body.refresh_token).not.toBe(guest.refresh_token);
    expect(cost.result.body.token).not.toBe(guest.token);
    // The old secret is used (one conditional update), the guest's profile read (a guest that became a verified
    // user is renewed no more) and the new secret stored; no limit is counted.
    expect(cost.dynamodb).toEqual({ UpdateItem: 1, GetItem: 1, PutItem: 1 });
    expect(cost.units).toEqual({ read: 1, write: 2 });
    expect(cost.sign).toBe(1);
  });

  it('lets two tabs refresh with one secret at once, then refuses it once the grace is over', async () => {
    const guest = await newGuest(stack.current);
    const [tabA, tabB] = await Promise.all([refresh(guest.refresh_token), refresh(guest.refresh_token)]);
    expect([tabA.status, tabB.status]).toEqual([200, 200]);
    expect(tabA.body.user_id).toBe(guest.user_id);
    expect(tabB.body.user_id).toBe(guest.user_id);
    expect(tabA.body.refresh_token).not.toBe(tabB.body.refresh_token);

    await sleep(GRACE_SECONDS * 1000 + 200);
    const late = await refresh(guest.refresh_token);
    expect(late.status).toBe(401);
    expect(late.body).toEqual({
      error: {
        code: 'invalid_refresh_token',
        message: 'The refresh token is not valid: start a new session',
      },
    });
    // Each tab's own new secret still works.
    expect((await refresh(tabA.body.refresh_token)).status).toBe(200);
    expect((await refresh(tabB.body.refresh_token)).status).toBe(200);
  });

  it('refuses an unknown refresh secret with 401 for one refused update and no signature', async () => {
    const cost = await costOf(stack.current, () => refresh('not-a-secret-anyone-was-given'));
    expect(cost.result.status).toBe(401);
    expect(cost.result.body.error.code).toBe('invalid_refresh_token');
    expect(cost.dynamodb).toEqual({ UpdateItem: 1 });
    expect(cost.sign).toBe(0);
  });
});

describe('POST /api/chat/guest-sessions/revoke/', () => {
  it('forgets the refresh secret in one delete, answers 200 again for a gone one, and refresh then fails', async () => {
    const guest = await newGuest(stack.current);
    const cost = await costOf(stack.current, () =>
      post(stack.current, '/guest-sessions/revoke/', { refresh_token: guest.refresh_token }),
    );
    expect(cost.result.status).toBe(200);
    expect(cost.result.body).toEqual({ revoked: true });
    expect(cost.dynamodb).toEqual({ DeleteItem: 1 });
    expect(cost.units).toEqual({ read: 0, write: 1 });

    const again = await post(stack.current, '/guest-sessions/revoke/', {
      refresh_token: guest.refresh_token,
    });
    expect([again.status, again.body]).toEqual([200, { revoked: true }]);
    expect((await refresh(guest.refresh_token)).status).toBe(401);
  });

  it('refuses a body without a refresh_token with 400', async () => {
    const response = await post(stack.current, '/guest-sessions/revoke/', {});
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: 'invalid_request' });
  });
});
