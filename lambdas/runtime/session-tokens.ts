import { createHash, createPublicKey, type JsonWebKey, randomUUID } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { SessionKind } from '../domain/namespaces.js';

/**
 * Session tokens: JWTs of the stack's own issuer, for guests and a host site's verified users. They are signed
 * by a KMS asymmetric key (RSA 2048, RSASSA-PKCS1-v1_5 with SHA-256, that is RS256): the private key never
 * leaves KMS, so no function holds key material; verifiers read the public key once per container. Locally
 * `npm start` answers the same two KMS calls (local/kms.ts), so this file runs unchanged.
 */

/** The `token_use` claim of a session token, so it cannot pass for any other token the APIs see. */
export const SESSION_TOKEN_USE = 'session';
/** The audience of session tokens (the stack's own APIs). */
export const SESSION_AUDIENCE = 'live-chat';
/** KMS's name for RS256. */
const SIGNING_ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';

export interface SessionIssuerSettings {
  /** `iss` of the tokens: the stack's public URL in AWS (its JWKS is under `/.well-known/`). */
  readonly issuer: string;
  /** The KMS key (id or ARN) that signs them. */
  readonly keyId: string;
}

export interface SignedSession {
  readonly token: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

let kms: KMSClient | undefined;
/** One client per container, created on first use (most functions only ever verify). */
const kmsClient = (): KMSClient => {
  kms ??= new KMSClient({});
  return kms;
};

/** The `kid` of a key's tokens and JWKS entry: derived from the key id, so signer and JWKS agree unasked. */
export const sessionKeyKid = (keyId: string): string =>
  createHash('sha256').update(keyId).digest('base64url').slice(0, 16);

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a session token for `userId` (of `kind`), valid for `ttlSeconds`. One KMS Sign call. */
export async function signSessionToken(
  settings: SessionIssuerSettings,
  subject: { readonly userId: string; readonly kind: SessionKind },
  ttlSeconds: number,
  nowMs: number = Date.now(),
): Promise<SignedSession> {
  const iat = Math.floor(nowMs / 1000);
  const expiresAt = iat + ttlSeconds;
  const header = { alg: 'RS256', typ: 'JWT', kid: sessionKeyKid(settings.keyId) };
  const payload = {
    iss: settings.issuer,
    aud: SESSION_AUDIENCE,
    sub: subject.userId,
    kind: subject.kind,
    token_use: SESSION_TOKEN_USE,
    iat,
    exp: expiresAt,
    jti: randomUUID(),
  };
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signed = await kmsClient().send(
    new SignCommand({
      KeyId: settings.keyId,
      Message: Buffer.from(signingInput),
      MessageType: 'RAW',
      SigningAlgorithm: SIGNING_ALGORITHM,
    }),
  );
  if (!signed.Signature) throw new Error('KMS Sign returned no signature');
  return { token: `${signingInput}.${Buffer.from(signed.Signature).toString('base64url')}`, expiresAt };
}

/** A JWKS document with the session key's public half. One KMS GetPublicKey call. */
export async function sessionJwks(keyId: string): Promise<{ keys: JsonWebKey[] }> {
  const answer = await kmsClient().send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (!answer.PublicKey) throw new Error('KMS GetPublicKey returned no key');
  const jwk = createPublicKey({ key: Buffer.from(answer.PublicKey), format: 'der', type: 'spki' }).export({
    format: 'jwk',
  });
  return { keys: [{ ...jwk, use: 'sig', alg: 'RS256', kid: sessionKeyKid(keyId) }] };
}
