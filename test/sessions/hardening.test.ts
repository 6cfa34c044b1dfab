import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, people, useLocalStack } from '../support/stack.js';
import { goodClaims, guestSession, identityToken, newGuest, signRaw, verify } from './support.js';

// Found by an adversarial review of the website front door, over the real local stack. Each test here states
// what the contract (docs/sessions.md, /work/issue10-plan.md) promises and fails where the stack does not.
const stack = useLocalStack();

const secret = async () => (await stack.current.secrets.versions()).current;

describe('an upgraded guest’s own credentials', () => {
  it('does not let the guest’s refresh secret keep renewing a guest that shows as the verified person', async () => {
    const guest = await newGuest(stack.current);
    const sub = `victim-${randomUUID()}`;
    const verified = await verify(stack.current, sub, guest.token, {
      name: 'Grace Hopper',
      email: 'grace@navy.mil',
    });
    expect(verified.upgraded_from).toBe(guest.user_id);

    // Whoever holds the guest's refresh secret (it lives 30 days; only the widget is trusted to revoke it) must
    // not keep minting sessions for the guest id, which shows to staff as the verified person.
    const renewed = await guestSession(stack.current, { refresh_token: guest.refresh_token });
    expect(renewed.status).toBe(401);
    expect(renewed.body.error.code).toBe('invalid_refresh_token');
    // The guest's token lives out its hour, but opens nothing that could pass for the verified person.
    const opened = await api(stack.current, guest.token).post('/rooms/', { subject: 'Please refund me' });
    expect(opened.status).toBe(401);
    expect(opened.body.error.code).toBe('session_upgraded');
    // And the verified person's own session opens rooms as before.
    expect((await api(stack.current, verified.token).post('/rooms/', {})).status).toBe(201);
  });
});

describe('what an identity token may carry', () => {
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

describe('what a verified user may say about themselves', () => {
  it('does not show a self-asserted name and email under the verified badge', async () => {
    // A site that vouches only for who its user is (sub alone, the minimum the contract asks for).
    const user = await verify(stack.current, `minimal-${randomUUID()}`);
    const own = await api(stack.current, user.token).post('/profile/', {
      name: 'Acme Billing Department',
      email: 'billing@acme.example',
    });
    const opened = await api(stack.current, user.token).post('/rooms/', { subject: 'Your invoice' });
    expect(opened.status).toBe(201);
    const { sam } = await people(stack.current);
    const detail = await api(stack.current, sam).get(`/rooms/${opened.body.id}/`);
    const customer = detail.body.customer;
    // Staff can tell that the site vouched for who this is, but not for the name and email they typed.
    expect(own.status).toBe(200);
    expect(customer).toMatchObject({
      name: 'Acme Billing Department',
      email: 'billing@acme.example',
      verified: true,
      verified_fields: [],
    });
  });
});

describe('an identity exchange whose jti claim DynamoDB applied but did not answer', () => {
  it('does not tell a first use of a token that it was replayed', async () => {
    const token = await identityToken(stack.current, { sub: `lost-${randomUUID()}` });
    // The PutItem of the jti applies, its response is lost (a 500 after the fact); the SDK retries it.
    const injected = stack.current.dynamo.injectFault({
      match: (operation, request) =>
        operation === 'PutItem' &&
        (request.Item as { type?: { S?: string } } | undefined)?.type?.S === 'identity_jti',
      after: true,
    });
    const response = await guestSession(stack.current, { identity_token: token });
    await injected;
    // The token was used exactly once, by this request: a session (or at worst a 500 of ours), never
    // 401 "its jti was used before", which a site's developer would read as a replay attack.
    expect(response.body.error?.message ?? '').not.toMatch(/used before/);
  });
});

describe('text that is not well-formed Unicode on the caller routes', () => {
  // DynamoDB stores strings as UTF-8, which a lone surrogate has no encoding for: the name and subject are
  // checked for it (`wellFormed` in lambdas/protocol/schemas.ts), the email and the page URL are not, so they
  // reach the table (dynalite keeps them; DynamoDB refuses the request, a 500 instead of this 400).
  it('refuses a profile email with a lone surrogate with 400', async () => {
    const guest = await newGuest(stack.current);
    const response = await api(stack.current, guest.token).post('/profile/', {
      email: 'a\ud800@example.com',
    });
    expect(response.status).toBe(400);
  });

  it('refuses a page_url with a lone surrogate with 400', async () => {
    const guest = await newGuest(stack.current);
    const response = await api(stack.current, guest.token).post('/rooms/', {
      page_url: 'https://shop.example/\ud800',
    });
    expect(response.status).toBe(400);
  });
});

describe('names that reorder the text around them', () => {
  it('refuses a display name with a bidi override (U+202E), which the console would show reversed', async () => {
    const guest = await newGuest(stack.current);
    // Shown as "Alice (staff)": staff reading the queue see a role the person does not have.
    const response = await api(stack.current, guest.token).post('/profile/', { name: 'Alice \u202E)ffats(' });
    expect(response.status).toBe(400);
  });
});
