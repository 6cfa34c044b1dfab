import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useLocalStack } from '../support/stack.js';
import {
  costOf,
  goodClaims,
  guestSession,
  identityToken,
  newGuest,
  payloadOf,
  signRaw,
  storeOf,
  verify,
} from './support.js';

const stack = useLocalStack();
const secret = async () => (await stack.current.secrets.versions()).current;
const now = () => Math.floor(Date.now() / 1000);
const exchange = (token: string, authorization?: string) =>
  guestSession(stack.current, { identity_token: token }, authorization ? { authorization } : {});

describe('POST /api/chat/guest-sessions/ with an identity_token', () => {
  it('answers 201 with a verified session for site_<sub>, whose refresh keeps it verified', async () => {
    const sub = `u-${randomUUID()}`;
    const token = await identityToken(stack.current, { sub, name: 'Ada Lovelace', email: 'ada@example.com' });
    const response = await exchange(token);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      token: expect.any(String),
      user_id: `site_${sub}`,
      kind: 'verified',
      expires_at: expect.any(String),
      refresh_token: expect.stringMatching(/^[\w-]{43}$/),
    });
    expect(payloadOf(response.body.token)).toMatchObject({ sub: `site_${sub}`, kind: 'verified' });

    expect(await storeOf(stack.current).getProfile(`site_${sub}`)).toMatchObject({
      kind: 'verified',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      verified: true,
      verifiedFields: ['name', 'email'],
    });

    const renewed = await guestSession(stack.current, { refresh_token: response.body.refresh_token });
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ user_id: `site_${sub}`, kind: 'verified' });
  });

  it('costs the jti claim, the profile and the refresh item (three writes) and one KMS Sign; the secret is read once a container', async () => {
    await verify(stack.current, 'warm-up');
    const cost = await costOf(stack.current, () => verify(stack.current, `u-${randomUUID()}`));
    expect(cost.dynamodb).toEqual({ PutItem: 2, UpdateItem: 1 });
    expect(cost.units).toEqual({ read: 0, write: 3 });
    expect([cost.sign, cost.secrets]).toEqual([1, 0]);

    // A name also goes to the user's open rooms: one query for them (none here), one rename for each.
    const named = await costOf(stack.current, () =>
      verify(stack.current, `u-${randomUUID()}`, undefined, { name: 'Ada' }),
    );
    expect(named.dynamodb).toEqual({ PutItem: 2, UpdateItem: 1, Query: 1 });
  });

  it('works once: the same token again is 401 invalid_identity_token after one refused put and its read', async () => {
    const token = await identityToken(stack.current, { sub: 'replayer' });
    expect((await exchange(token)).status).toBe(201);
    const cost = await costOf(stack.current, () => exchange(token));
    expect(cost.result.status).toBe(401);
    expect(cost.result.body).toEqual({
      error: {
        code: 'invalid_identity_token',
        message: 'The identity token is not valid: its jti was used before',
      },
    });
    // The refused put's claim is read back (strongly consistent): a claim of this request's own whose answer
    // was lost is a first use, anyone else's a replay.
    expect(cost.dynamodb).toEqual({ PutItem: 1, GetItem: 1 });
    expect(cost.sign).toBe(0);
  });

  it('lets two requests race with one token and gives exactly one of them a session', async () => {
    const token = await identityToken(stack.current, { sub: 'racer' });
    const answers = await Promise.all([exchange(token), exchange(token), exchange(token)]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 401, 401]);
  });

  const refused: readonly (readonly [string, () => Promise<string>, RegExp])[] = [
    ['forged (another secret)', () => signRaw('not-the-site-secret', goodClaims()), /signature/],
    ['expired', async () => signRaw(await secret(), { ...goodClaims(), exp: now() - 5 }), /expired/],
    [
      'exp more than 600 s ahead',
      async () => signRaw(await secret(), { ...goodClaims(), exp: now() + 660 }),
      /600 s ahead/,
    ],
    ['without sub', async () => signRaw(await secret(), { ...goodClaims(), sub: undefined }), /claim sub/],
    ['without jti', async () => signRaw(await secret(), { ...goodClaims(), jti: undefined }), /claim jti/],
    ['without exp', async () => signRaw(await secret(), { ...goodClaims(), exp: undefined }), /claim exp/],
    ['with an empty sub', async () => signRaw(await secret(), { ...goodClaims(), sub: '' }), /sub/],
    [
      'with a control character in sub',
      async () => signRaw(await secret(), { ...goodClaims(), sub: 'a\u0000b' }),
      /sub/,
    ],
    ['signed with HS512', async () => signRaw(await secret(), goodClaims(), 'HS512'), /HS256/],
    [
      'unsigned (alg none)',
      async () => {
        const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(goodClaims())}.`;
      },
      /HS256|well-formed/,
    ],
    ['not a JWT', async () => 'hello', /well-formed/],
    [
      'with a name of 81 characters',
      async () => signRaw(await secret(), { ...goodClaims(), name: 'n'.repeat(81) }),
      /name/,
    ],
    [
      'with an email that is none',
      async () => signRaw(await secret(), { ...goodClaims(), email: 'not an email' }),
      /email/,
    ],
  ];

  it.each(refused)('refuses a token %s with 401, before any write or signature', async (_case, mint, why) => {
    const token = await mint();
    const cost = await costOf(stack.current, () => exchange(token));
    expect(cost.result.status).toBe(401);
    expect(cost.result.body).toEqual({
      error: { code: 'invalid_identity_token', message: expect.stringMatching(why) },
    });
    expect([cost.dynamodb, cost.sign]).toEqual([{}, 0]);
  });

  it('takes a name of 80 characters and an email', async () => {
    const token = await signRaw(await secret(), {
      ...goodClaims(),
      name: 'n'.repeat(80),
      email: 'n@example.com',
    });
    expect((await exchange(token)).status).toBe(201);
  });

  it('refuses an Authorization header that is no session token with 401 invalid_session_token, keeping the jti', async () => {
    const token = await identityToken(stack.current, { sub: 'bad-bearer' });
    const staff = await stack.current.issuer.mint({ userId: 'sam', staff: true });
    for (const authorization of ['Bearer not-a-jwt', `Bearer ${staff}`]) {
      const response = await exchange(token, authorization);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('invalid_session_token');
    }
    // Nothing was claimed: the token still works.
    expect((await exchange(token)).status).toBe(201);
  });

  it('upgrades nobody when the Authorization header is a verified session', async () => {
    const first = await verify(stack.current, 'already-verified');
    const again = await verify(stack.current, 'already-verified', first.token);
    expect(again).not.toHaveProperty('upgraded_from');
    expect(again.user_id).toBe('site_already-verified');
  });

  it('gives a guest’s upgrade the guest it came from', async () => {
    const guest = await newGuest(stack.current);
    const upgraded = await verify(stack.current, 'was-a-guest', guest.token);
    expect(upgraded).toMatchObject({
      user_id: 'site_was-a-guest',
      kind: 'verified',
      upgraded_from: guest.user_id,
    });
  });
});
