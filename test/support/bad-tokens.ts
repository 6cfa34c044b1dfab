import { generateKeyPair, SignJWT } from 'jose';
import type { LocalStack } from '../../local/stack.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/**
 * Every kind of token both APIs must refuse, as `[name, mint]` rows for `it.each`: the HTTP API's JWT
 * authorizer and the WebSocket `$connect` authorizer are tested against the same list, so a check turned off
 * on one side fails a test.
 */
export const BAD_TOKENS: readonly (readonly [string, (stack: LocalStack) => Promise<string>])[] = [
  ['garbage', async () => 'not-a-jwt'],
  ['expired', (stack) => stack.issuer.mint({ userId: 'alice', extraClaims: { exp: now() - 600 } })],
  ['not yet valid', (stack) => stack.issuer.mint({ userId: 'alice', extraClaims: { nbf: now() + 600 } })],
  [
    'wrong issuer',
    (stack) => stack.issuer.mint({ userId: 'alice', extraClaims: { iss: 'https://evil.invalid' } }),
  ],
  // Another app client of the same issuer: its tokens are signed by the same key.
  ['wrong audience', (stack) => stack.issuer.mint({ userId: 'alice', extraClaims: { aud: 'another-app' } })],
  [
    'another app client in client_id',
    (stack) =>
      stack.issuer.mint({
        userId: 'alice',
        extraClaims: { aud: undefined, client_id: 'another-app', token_use: 'access' },
      }),
  ],
  ['without a subject', (stack) => stack.issuer.mint({ userId: 'alice', extraClaims: { sub: undefined } })],
  [
    'unsigned (alg none)',
    async (stack) => {
      const claims = JSON.parse(
        Buffer.from(
          (await stack.issuer.mint({ userId: 'alice', staff: true })).split('.')[1] as string,
          'base64url',
        ).toString(),
      );
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    },
  ],
  [
    'tampered',
    async (stack) => {
      const [header, payload, signature] = (await stack.issuer.mint({ userId: 'alice' })).split('.');
      const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
      return `${header}.${b64({ ...claims, 'cognito:groups': ['staff'] })}.${signature}`;
    },
  ],
  [
    'signed by an unknown key',
    async (stack) => {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'RS256', kid: 'intruder' })
        .setIssuer(stack.issuer.issuer)
        .setAudience(stack.issuer.audience)
        .setExpirationTime('1h')
        .sign(privateKey);
    },
  ],
  [
    'signed by an unknown key under the known kid',
    async (stack) => {
      const { privateKey } = await generateKeyPair('RS256');
      const kid = String(stack.issuer.jwks.keys[0]?.kid);
      return new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(stack.issuer.issuer)
        .setAudience(stack.issuer.audience)
        .setExpirationTime('1h')
        .sign(privateKey);
    },
  ],
];
