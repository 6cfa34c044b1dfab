import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, people, useLocalStack } from '../support/stack.js';
import { goodClaims, guestSession, identityToken, newGuest, signRaw, verify } from '../sessions/support.js';

// Adversarial review of issue 10 (the website front door), over the real local stack. Each test here states
// what the contract (docs/sessions.md, /work/issue10-plan.md) promises and fails where the stack does not.
const stack = useLocalStack();

const secret = async () => (await stack.current.secrets.versions()).current;

describe('review: an upgraded guest’s own credentials', () => {
  it('does not let the guest’s refresh secret keep renewing a guest that shows as the verified person', async () => {
    const guest = await newGuest(stack.current);
    const sub = `victim-${randomUUID()}`;
    const verified = await verify(stack.current, sub, guest.token, {
      name: 'Grace Hopper',
      email: 'grace@navy.mil',
    });
    expect(verified.upgraded_from).toBe(guest.user_id);

    // Whoever holds the guest's refresh secret (it lives 30 days; only the widget is trusted to revoke it) keeps
    // minting sessions for the guest id, which now shows to staff as the verified person.
    const renewed = await guestSession(stack.current, { refresh_token: guest.refresh_token });
    const opened = await api(stack.current, guest.token).post('/rooms/', { subject: 'Please refund me' });
    expect(opened.status).toBe(201);
    const { sam } = await people(stack.current);
    const detail = await api(stack.current, sam).get(`/rooms/${opened.body.id}/`);
    expect(detail.status).toBe(200);
    // A room the guest opened after the upgrade, by a credential that never proved the identity.
    const shownAsVerified =
      detail.body.customer?.verified === true && detail.body.customer?.name === 'Grace Hopper';
    // Expected: a linked guest is no longer renewable (401 invalid_refresh_token) and cannot pass for the
    // verified person on rooms it opens afterwards.
    expect({ refresh: renewed.status, shownAsVerified }).toEqual({ refresh: 401, shownAsVerified: false });
  });
});

describe('review: what an identity token may carry', () => {
  it('refuses an email with control characters (NUL, DEL), as the profile route does', async () => {
    const token = await signRaw(await secret(), { ...goodClaims(), email: 'a\u0000b\u007f@example.com' });
    const response = await guestSession(stack.current, { identity_token: token });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('invalid_identity_token');
  });

  it('refuses an email that is not well-formed Unicode (a lone surrogate) with 401, not 500 or a stored one', async () => {
    const token = await signRaw(await secret(), { ...goodClaims(), email: '\ud800@example.com' });
    const response = await guestSession(stack.current, { identity_token: token });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('invalid_identity_token');
  });

  it('refuses a name that shows nothing (zero-width characters only), as the profile route does', async () => {
    const invisible = '\u200b\u200d\u2060';
    // The profile route refuses it...
    const guest = await newGuest(stack.current);
    const own = await api(stack.current, guest.token).post('/profile/', { name: invisible });
    expect(own.status).toBe(400);
    // ...but a token carrying it makes a verified, blank name.
    const token = await signRaw(await secret(), { ...goodClaims(), name: invisible });
    const response = await guestSession(stack.current, { identity_token: token });
    expect(response.status).toBe(401);
  });
});
