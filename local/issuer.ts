import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { repoRoot } from './lambda-runtime.js';

/** The development issuer's identity; tokens it signs are only accepted by the local stack. */
export const LOCAL_ISSUER = 'https://issuer.local.live-chat.invalid';
export const LOCAL_AUDIENCE = 'live-chat-local';
/** The group claim and staff group the local tokens use: the same defaults as a Cognito deployment. */
export const LOCAL_GROUPS_CLAIM = 'cognito:groups';
export const LOCAL_STAFF_GROUP = 'staff';

/** Git-ignored; created on first use and shared by `npm start` and `npm run token` in other terminals. */
export const defaultKeyDir = path.join(repoRoot, '.local', 'keys');

export interface LocalIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** The public keys, as a JWKS document. */
  readonly jwks: { keys: JWK[] };
  mint(claims: MintOptions): Promise<string>;
}

export interface MintOptions {
  readonly userId: string;
  readonly staff?: boolean;
  /** Lifetime in seconds. @default 12 hours */
  readonly ttlSeconds?: number;
  /** Claims to add or override (tests use this for wrong issuers, audiences, expiry). */
  readonly extraClaims?: Record<string, unknown>;
}

const KEY_FILE = 'signing-key.json';

/** Loads the RS256 key pair from `keyDir`, creating it once; a concurrent creator wins and both use its key. */
export async function loadLocalIssuer(keyDir: string = defaultKeyDir): Promise<LocalIssuer> {
  const file = path.join(keyDir, KEY_FILE);
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(keyDir, { recursive: true });
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const created = {
      ...(await exportJWK(privateKey)),
      kid: `local-${Date.now().toString(36)}`,
      alg: 'RS256',
    };
    try {
      await writeFile(file, JSON.stringify(created), { flag: 'wx', mode: 0o600 });
      privateJwk = created;
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
    }
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  const signingKey = await importJWK(privateJwk, 'RS256');
  const kid = String(privateJwk.kid);
  return {
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    jwks: { keys: [{ ...publicJwk, use: 'sig', alg: 'RS256', kid }] },
    async mint({ userId, staff = false, ttlSeconds = 12 * 3600, extraClaims = {} }) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        sub: userId,
        iss: LOCAL_ISSUER,
        aud: LOCAL_AUDIENCE,
        iat: now,
        exp: now + ttlSeconds,
        jti: crypto.randomUUID(),
        [LOCAL_GROUPS_CLAIM]: staff ? [LOCAL_STAFF_GROUP] : [],
        token_use: 'id',
        ...extraClaims,
      };
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(signingKey);
    },
  };
}
