import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/runtime/config.js';
import { LOCAL_AUDIENCE } from '../../local/issuer.js';
import { BAD_TOKENS } from '../support/bad-tokens.js';
import { HandshakeError, TestSocket } from '../support/socket.js';
import { useLocalStack } from '../support/stack.js';

// The WebSocket authorizer as a stack with the smoke test's app client configures it: two audiences.
const SMOKE_CLIENT = 'smoke-test-client';
const stack = useLocalStack({ environment: { [ENV.jwtAudience]: `${LOCAL_AUDIENCE},${SMOKE_CLIENT}` } });

async function handshake(token: string): Promise<number> {
  try {
    const socket = await TestSocket.open(stack.current, { token });
    await socket.close();
    return 101;
  } catch (error) {
    if (error instanceof HandshakeError) return error.status;
    throw error;
  }
}

const mint = (extraClaims: Record<string, unknown>) =>
  stack.current.issuer.mint({ userId: 'alice', extraClaims });

describe('the WebSocket authorizer with several audiences', () => {
  it.each([
    { why: 'the web client in aud', claims: { aud: LOCAL_AUDIENCE } },
    { why: 'the smoke client in aud', claims: { aud: SMOKE_CLIENT } },
    { why: 'the smoke client among several aud', claims: { aud: ['other', SMOKE_CLIENT] } },
    {
      why: 'the smoke client in client_id (a Cognito access token)',
      claims: { aud: undefined, client_id: SMOKE_CLIENT },
    },
  ])('accepts $why', async ({ claims }) => {
    expect(await handshake(await mint(claims))).toBe(101);
  });

  it.each([
    { why: 'another audience', claims: { aud: 'another-app' } },
    { why: 'the list itself as one audience', claims: { aud: `${LOCAL_AUDIENCE},${SMOKE_CLIENT}` } },
    { why: 'a prefix of an audience', claims: { aud: 'smoke-test' } },
    { why: 'an empty audience', claims: { aud: '' } },
    {
      why: 'the smoke client in client_id beside another aud',
      claims: { aud: 'another-app', client_id: SMOKE_CLIENT },
    },
  ])('refuses $why with 401', async ({ claims }) => {
    expect(await handshake(await mint(claims))).toBe(401);
  });

  it.each(BAD_TOKENS)('still refuses a token %s with 401', async (_name, bad) => {
    expect(await handshake(await bad(stack.current))).toBe(401);
  });
});
