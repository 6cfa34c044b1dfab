import { describe, expect, it } from 'vitest';
import { signIdentityToken } from '../../local/identity-secret.js';
import { useLocalStack } from '../support/stack.js';
import { costOf, guestSession } from './support.js';

// A stack of its own: the first identity token of this file is the first its container verifies, so the
// secret's versions are read after the rotations below (a container reads them again at most every 30 s when a
// token needs it; test/sessions/identity-secret.test.ts runs that clock).
const stack = useLocalStack();
const exchange = (token: string) => guestSession(stack.current, { identity_token: token });

describe('identity secret rotation', () => {
  it('accepts tokens of AWSCURRENT and AWSPREVIOUS and refuses the secret before them', async () => {
    const original = (await stack.current.secrets.versions()).current;
    const second = (await stack.current.secrets.rotate()).current;
    const third = await stack.current.secrets.rotate();
    expect(third.previous).toBe(second);

    const first = await costOf(stack.current, async () =>
      exchange(await signIdentityToken(third.current, { sub: 'signed-with-current' })),
    );
    expect(first.result.status).toBe(201);
    // Both versions, once, for the container.
    expect(first.secrets).toBe(2);

    const previous = await costOf(stack.current, async () =>
      exchange(await signIdentityToken(second, { sub: 'signed-with-previous' })),
    );
    expect(previous.result.status).toBe(201);
    expect(previous.secrets).toBe(0);

    const retired = await costOf(stack.current, async () =>
      exchange(await signIdentityToken(original, { sub: 'signed-with-retired' })),
    );
    expect(retired.result.status).toBe(401);
    expect(retired.result.body.error).toEqual({
      code: 'invalid_identity_token',
      message: 'The identity token is not valid: its signature does not match the identity secret',
    });
    // The versions are younger than 30 s: a mismatch does not read them again.
    expect(retired.secrets).toBe(0);
  });
});
