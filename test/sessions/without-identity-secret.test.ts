import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/runtime/config.js';
import { useLocalStack } from '../support/stack.js';
import { guestSession, identityToken, newGuest } from './support.js';

// A stack with a session issuer but no identity secret (IDENTITY_SECRET_ID unset): guests only.
const stack = useLocalStack({ environment: { [ENV.identitySecretId]: '' } });

describe('a stack without an identity secret', () => {
  it('still mints guest sessions, and refuses identity tokens with 401 without asking Secrets Manager', async () => {
    await newGuest(stack.current);
    const response = await guestSession(stack.current, {
      identity_token: await identityToken(stack.current, { sub: 'nobody' }),
    });
    expect(response.status).toBe(401);
    expect(response.body.error).toEqual({
      code: 'invalid_identity_token',
      message: 'The identity token is not valid: this stack accepts no identity tokens',
    });
    expect(stack.current.secrets.calls.GetSecretValue).toBe(0);
  });
});
