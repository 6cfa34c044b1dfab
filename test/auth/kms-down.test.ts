import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UserKind } from '../../lambdas/domain/namespaces.js';
import { captureLogs } from '../support/logs.js';
import { api, useLocalStack } from '../support/stack.js';
import { handshake, sessionClaims, sessionToken, signedByKms, uniqueId } from './tokens.js';

// KMS out of reach before any function has read the session key: a failure of ours, which must be a 500 and an
// ERROR line (the stack alarms on it), never a 401 that tells a good client its token is bad.
const stack = useLocalStack({ stream: { batchWindowMs: 'manual' } });
let session: string;
let foreign: string;

beforeAll(async () => {
  session = await sessionToken(stack.current, uniqueId('guest_'), UserKind.guest);
  foreign = await signedByKms(stack.current, {
    ...sessionClaims(uniqueId('guest_'), 'guest'),
    iss: 'https://evil.invalid',
  });
  await stack.current.kms.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('session tokens while KMS is unreachable', () => {
  it('answers a function route 500 internal_error and logs it at ERROR', async () => {
    const logs = captureLogs();
    const response = await api(stack.current, session).get('/rooms/');
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      error: {
        code: 'internal_error',
        message: 'Something went wrong on our side',
        request_id: expect.any(String),
      },
    });
    expect(logs().filter((l) => l.level === 'ERROR')).toEqual([
      expect.objectContaining({
        message: 'Unhandled error',
        routeKey: 'GET /api/chat/rooms',
        error: expect.objectContaining({ name: 'IssuerKeysUnavailable' }),
      }),
    ]);
  });

  it('tries KMS again on the next request, and fails the same way', async () => {
    const logs = captureLogs();
    expect((await api(stack.current, session).post('/ws-ticket/')).status).toBe(500);
    expect(logs().filter((l) => l.level === 'ERROR')).toHaveLength(1);
  });

  it('fails the WebSocket handshake closed and logs it at ERROR', async () => {
    const logs = captureLogs();
    expect(await handshake(stack.current, { token: session })).toBe(401);
    expect(logs().filter((l) => l.level === 'ERROR')).toEqual([
      expect.objectContaining({
        message: 'Authorizer failed',
        error: expect.objectContaining({ name: 'IssuerKeysUnavailable' }),
      }),
    ]);
  });

  it('still serves the discovery document, which needs no key', async () => {
    const response = await fetch(`${stack.current.httpUrl}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
  });

  it('answers the JWKS document 500', async () => {
    const logs = captureLogs();
    const response = await fetch(`${stack.current.httpUrl}/.well-known/jwks.json`);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('internal_error');
    expect(logs().filter((l) => l.level === 'ERROR')).toHaveLength(1);
  });

  it('still refuses a token of an unknown issuer with 401 (no key is needed for that)', async () => {
    const logs = captureLogs();
    expect((await api(stack.current, foreign).get('/rooms/')).status).toBe(401);
    expect(await handshake(stack.current, { token: foreign })).toBe(401);
    expect(logs().filter((l) => l.level === 'ERROR')).toEqual([]);
  });

  it('still serves the staff issuer’s tokens on both APIs', async () => {
    const staff = await stack.current.issuer.mint({ userId: 'alice' });
    expect((await api(stack.current, staff).get('/rooms/')).status).toBe(200);
    expect(await handshake(stack.current, { token: staff })).toBe(101);
  });
});
