import type { Jwks } from 'aws-jwt-verify/jwk';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { UserKind } from '../../lambdas/domain/namespaces.js';
import { Role } from '../../lambdas/domain/types.js';
import { loadConfig } from '../../lambdas/runtime/config.js';
import { SESSION_AUDIENCE, sessionJwks } from '../../lambdas/runtime/session-tokens.js';
import { LOCAL_SESSION_ISSUER } from '../../local/kms.js';
import { TestSocket } from '../support/socket.js';
import { api, useLocalStack } from '../support/stack.js';
import { BAD_SESSION_TOKENS, sessionToken, uniqueId } from './tokens.js';

const stack = useLocalStack({ stream: { batchWindowMs: 'manual' } });

// Handlers here run in one process, so the modules they share (lambdas/runtime/verifier.ts among them) are
// one instance for all of them: locally, every verifying function together reads the key once; in AWS each
// function's container does, once. The JWKS document's handler keeps its own copy.
describe("the session issuer's key", () => {
  it('is read from KMS once, however many requests verify session tokens', async () => {
    const staff = await stack.current.issuer.mint({ userId: 'alice' });
    expect((await api(stack.current, staff).get('/rooms/')).status).toBe(200);
    // The staff issuer's tokens never touch KMS.
    expect(stack.current.kms.calls.GetPublicKey).toBe(0);

    const tokens = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        i % 2 === 0
          ? sessionToken(stack.current, uniqueId('guest_'), UserKind.guest)
          : sessionToken(stack.current, uniqueId('site_'), UserKind.verified),
      ),
    );
    // Concurrent first requests share one read.
    const first = await Promise.all(tokens.map((token) => api(stack.current, token).get('/rooms/')));
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (const token of tokens) {
      expect((await api(stack.current, token).post('/rooms/', { subject: 'x' })).status).toBe(201);
      expect((await api(stack.current, token).post('/ws-ticket/')).status).toBe(201);
      const socket = await TestSocket.open(stack.current, { token });
      await socket.close();
    }
    expect(stack.current.kms.calls.GetPublicKey).toBe(1);
  });
});

describe("the session issuer's public documents", () => {
  const get = (path: string) => fetch(`${stack.current.httpUrl}${path}`);

  it('publishes a discovery document that names the issuer and its JWKS', async () => {
    const response = await get('/.well-known/openid-configuration');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await response.json()).toEqual({
      issuer: LOCAL_SESSION_ISSUER,
      jwks_uri: `${LOCAL_SESSION_ISSUER}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
      response_types_supported: ['id_token'],
    });
  });

  it('publishes a JWKS that verifies session tokens (jose) and no forgery, read from KMS once', async () => {
    const discovery = (await (await get('/.well-known/openid-configuration')).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    const before = stack.current.kms.calls.GetPublicKey;
    // The issuer's host is the stack's public URL in AWS; locally the path is served by the gateway.
    const response = await get(new URL(discovery.jwks_uri).pathname);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const jwks = createLocalJWKSet(await response.json());
    const userId = uniqueId('site_');
    const token = await sessionToken(stack.current, userId, UserKind.verified);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: discovery.issuer,
      audience: SESSION_AUDIENCE,
      algorithms: ['RS256'],
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload).toMatchObject({ sub: userId, kind: 'verified', token_use: 'session' });
    for (const [name, mint] of BAD_SESSION_TOKENS.filter(([n]) => /forged|unknown kid|tampered/.test(n))) {
      await expect(jwtVerify(await mint(stack.current), jwks), name).rejects.toThrow();
    }
    expect((await get('/.well-known/jwks.json/')).status).toBe(404);
    await get('/.well-known/jwks.json');
    expect(stack.current.kms.calls.GetPublicKey).toBe(before + 1);
  });
});

describe('the verifier when the key cannot be read', () => {
  it('throws IssuerKeysUnavailable (not a refusal), shares one read, and reads again after a failure', async () => {
    // Imported once the stack has set the handlers' environment (its logger reads the log level on load).
    const { createVerifier, IssuerKeysUnavailable, staffIssuerFromEnv } = await import(
      '../../lambdas/runtime/verifier.js'
    );
    const config = loadConfig();
    const keyId = stack.current.kms.keyId;
    let reads = 0;
    const verify = createVerifier({
      staff: staffIssuerFromEnv(),
      session: { issuer: LOCAL_SESSION_ISSUER, keyId },
      claims: config,
      // The first read fails as KMS would when throttled; the next ones read the local KMS for real.
      sessionKeys: async (id) => {
        reads++;
        if (reads === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        return (await sessionJwks(id)) as unknown as Jwks;
      },
    });
    const userId = uniqueId('guest_');
    const token = await sessionToken(stack.current, userId, UserKind.guest);
    const failed = await verify(token).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(IssuerKeysUnavailable);
    expect((failed as Error).cause).toMatchObject({ name: 'ThrottlingException' });
    const callers = await Promise.all([verify(token), verify(token), verify(token)]);
    expect(callers).toEqual(
      Array(3).fill({ userId, role: Role.customer, tokenExpiresAt: expect.any(Number) }),
    );
    expect(await verify(token)).not.toBeNull();
    expect(reads).toBe(2);
  });
});
