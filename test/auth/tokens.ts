import { randomUUID } from 'node:crypto';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { generateKeyPair, SignJWT } from 'jose';
import type { SessionKind } from '../../lambdas/domain/namespaces.js';
import {
  SESSION_AUDIENCE,
  SESSION_TOKEN_USE,
  sessionKeyKid,
  signSessionToken,
} from '../../lambdas/runtime/session-tokens.js';
import { LOCAL_SESSION_ISSUER } from '../../local/kms.js';
import type { LocalStack } from '../../local/stack.js';
import { HandshakeError, TestSocket } from '../support/socket.js';

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A unique id in a namespace: `guest_…` or `site_…`. */
export const uniqueId = (prefix: 'guest_' | 'site_') => `${prefix}${randomUUID().slice(0, 8)}`;

/** A session token as the stack mints it (KMS Sign through the handlers' own code). */
export async function sessionToken(
  stack: LocalStack,
  userId: string,
  kind: SessionKind,
  ttlSeconds = 3600,
): Promise<string> {
  const signed = await signSessionToken(
    { issuer: LOCAL_SESSION_ISSUER, keyId: stack.kms.keyId },
    { userId, kind },
    ttlSeconds,
  );
  return signed.token;
}

/** The claims `signSessionToken` signs for `userId`, for tests that change one of them. */
export function sessionClaims(userId: string, kind: string): Record<string, unknown> {
  return {
    iss: LOCAL_SESSION_ISSUER,
    aud: SESSION_AUDIENCE,
    sub: userId,
    kind,
    token_use: SESSION_TOKEN_USE,
    iat: now(),
    exp: now() + 3600,
    jti: randomUUID(),
  };
}

/**
 * Any claims, signed by the session issuer's real key through KMS: the tokens only a bug in the signer (or a
 * stolen key) could produce, which the verifier must still refuse. `undefined` claims are left out.
 */
export async function signedByKms(stack: LocalStack, claims: Record<string, unknown>): Promise<string> {
  const kms = new KMSClient({ endpoint: stack.kms.url });
  const header = { alg: 'RS256', typ: 'JWT', kid: sessionKeyKid(stack.kms.keyId) };
  const input = `${b64(header)}.${b64(JSON.parse(JSON.stringify(claims)))}`;
  const { Signature } = await kms.send(
    new SignCommand({
      KeyId: stack.kms.keyId,
      Message: Buffer.from(input),
      MessageType: 'RAW',
      SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
    }),
  );
  kms.destroy();
  return `${input}.${Buffer.from(Signature as Uint8Array).toString('base64url')}`;
}

/** Every session token the APIs must refuse, as `[name, mint]` rows for `it.each` on both APIs. */
export const BAD_SESSION_TOKENS: readonly (readonly [string, (stack: LocalStack) => Promise<string>])[] = [
  [
    'with the staff issuer as iss',
    (stack) =>
      signedByKms(stack, { ...sessionClaims(uniqueId('guest_'), 'guest'), iss: stack.issuer.issuer }),
  ],
  [
    'of another issuer',
    (stack) =>
      signedByKms(stack, { ...sessionClaims(uniqueId('guest_'), 'guest'), iss: 'https://evil.invalid' }),
  ],
  [
    'with the staff audience',
    (stack) =>
      signedByKms(stack, { ...sessionClaims(uniqueId('guest_'), 'guest'), aud: stack.issuer.audience }),
  ],
  ['expired', (stack) => sessionToken(stack, uniqueId('guest_'), 'guest', -60)],
  [
    'without exp',
    (stack) => signedByKms(stack, { ...sessionClaims(uniqueId('guest_'), 'guest'), exp: undefined }),
  ],
  [
    'with a forged signature (another key under the real kid)',
    async (stack) => {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT(sessionClaims(uniqueId('guest_'), 'guest'))
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: sessionKeyKid(stack.kms.keyId) })
        .sign(privateKey);
    },
  ],
  [
    'with an unknown kid',
    async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT(sessionClaims(uniqueId('guest_'), 'guest'))
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'intruder' })
        .sign(privateKey);
    },
  ],
  [
    'tampered (a guest renamed to a site user)',
    async (stack) => {
      const [header, , signature] = (await sessionToken(stack, uniqueId('guest_'), 'guest')).split('.');
      return `${header}.${b64(sessionClaims(uniqueId('site_'), 'verified'))}.${signature}`;
    },
  ],
  [
    'without token_use',
    (stack) => signedByKms(stack, { ...sessionClaims(uniqueId('guest_'), 'guest'), token_use: undefined }),
  ],
  [
    'with token_use id',
    (stack) => signedByKms(stack, { ...sessionClaims(uniqueId('guest_'), 'guest'), token_use: 'id' }),
  ],
  [
    'with kind verified for a guest_ id',
    (stack) => signedByKms(stack, sessionClaims(uniqueId('guest_'), 'verified')),
  ],
  [
    'with kind guest for a site_ id',
    (stack) => signedByKms(stack, sessionClaims(uniqueId('site_'), 'guest')),
  ],
  ['with kind account', (stack) => signedByKms(stack, sessionClaims(uniqueId('guest_'), 'account'))],
  [
    'without kind',
    (stack) => signedByKms(stack, { ...sessionClaims(uniqueId('guest_'), 'guest'), kind: undefined }),
  ],
  [
    'naming an account (sub outside the namespaces)',
    (stack) => signedByKms(stack, sessionClaims('alice', 'guest')),
  ],
  ['naming the bare prefix guest_', (stack) => signedByKms(stack, sessionClaims('guest_', 'guest'))],
  ['without sub', (stack) => signedByKms(stack, { ...sessionClaims('guest_x', 'guest'), sub: undefined })],
];

/** The WebSocket handshake's status for a query: 101 when the socket opened (it is closed again). */
export async function handshake(stack: LocalStack, query: Record<string, string>): Promise<number> {
  try {
    const socket = await TestSocket.open(stack, query);
    await socket.close();
    return 101;
  } catch (error) {
    if (error instanceof HandshakeError) return error.status;
    throw error;
  }
}
