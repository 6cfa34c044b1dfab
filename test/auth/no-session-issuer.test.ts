import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/runtime/config.js';
import { api, useLocalStack } from '../support/stack.js';
import { handshake, sessionToken, uniqueId } from './tokens.js';

// A stack deployed without a session issuer: only the staff issuer's tokens are accepted.
const stack = useLocalStack({
  stream: { batchWindowMs: 'manual' },
  environment: { [ENV.sessionIssuer]: '', [ENV.sessionKeyId]: '' },
});

describe('a stack without a session issuer', () => {
  it.each(['/.well-known/jwks.json', '/.well-known/openid-configuration'])(
    'answers %s with 404',
    async (path) => {
      const response = await fetch(`${stack.current.httpUrl}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: { code: 'not_found', message: 'This stack has no session issuer' },
      });
    },
  );

  it('refuses session tokens on both APIs with 401, and never reads the key', async () => {
    const token = await sessionToken(stack.current, uniqueId('guest_'), 'guest');
    const response = await api(stack.current, token).get('/rooms/');
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthorized');
    expect(await handshake(stack.current, { token })).toBe(401);
    expect(stack.current.kms.calls.GetPublicKey).toBe(0);
  });

  it('accepts the staff issuer’s tokens', async () => {
    const token = await stack.current.issuer.mint({ userId: 'alice' });
    expect((await api(stack.current, token).get('/rooms/')).status).toBe(200);
    expect(await handshake(stack.current, { token })).toBe(101);
  });
});
