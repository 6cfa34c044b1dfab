import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT } from 'jose';

/**
 * The host site's identity secret, locally: what Secrets Manager keeps in AWS (the stack generates it there).
 * It lives beside the development issuer's keys (`.local/keys/`, git-ignored), so `npm start`, the demo host
 * page and `npm run identity-token` in another terminal all sign and verify with the same one.
 */
export const LOCAL_IDENTITY_SECRET_ID = 'live-chat-local/identity-secret';
const FILE = 'identity-secret.json';

/** The secret's versions, as Secrets Manager's staging labels name them. */
export interface IdentitySecretVersions {
  /** AWSCURRENT: what a site signs with. */
  readonly current: string;
  /** AWSPREVIOUS: still accepted, so a rotation needs no downtime. */
  readonly previous?: string;
}

const newSecret = (): string => randomBytes(32).toString('base64url');

/** Reads the local secret, creating it once; a concurrent creator wins and both use its secret. */
export async function loadLocalIdentitySecret(keyDir: string): Promise<IdentitySecretVersions> {
  const file = path.join(keyDir, FILE);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as IdentitySecretVersions;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(keyDir, { recursive: true });
  const created: IdentitySecretVersions = { current: newSecret() };
  try {
    await writeFile(file, JSON.stringify(created), { flag: 'wx', mode: 0o600 });
    return created;
  } catch (raced) {
    if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
    return JSON.parse(await readFile(file, 'utf8')) as IdentitySecretVersions;
  }
}

/**
 * Rotates the local secret as `put-secret-value` does in AWS: a new current, the old current becomes previous
 * (the one before that is no longer accepted). Written to a temporary file and renamed, so no reader sees half.
 */
export async function rotateLocalIdentitySecret(
  keyDir: string,
  next: string = newSecret(),
): Promise<IdentitySecretVersions> {
  const { current } = await loadLocalIdentitySecret(keyDir);
  const rotated: IdentitySecretVersions = { current: next, previous: current };
  const file = path.join(keyDir, FILE);
  const staging = `${file}.${process.pid}.${Date.now()}`;
  await writeFile(staging, JSON.stringify(rotated), { mode: 0o600 });
  await rename(staging, file);
  return rotated;
}

export interface IdentityClaims {
  /** The site's own id for its user. */
  readonly sub: string;
  readonly name?: string;
  readonly email?: string;
  /** @default 300 (the stack accepts at most 600) */
  readonly ttlSeconds?: number;
  /** @default a random UUID (each works once) */
  readonly jti?: string;
}

/**
 * Signs an identity token the way a host site's backend does (docs/sessions.md shows the same in Node and
 * Python): HS256 with the site's identity secret, a `jti` that works once, and a short `exp`.
 */
export async function signIdentityToken(secret: string, claims: IdentityClaims): Promise<string> {
  const { sub, name, email, ttlSeconds = 300, jti = randomUUID() } = claims;
  return new SignJWT({ ...(name === undefined ? {} : { name }), ...(email === undefined ? {} : { email }) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setJti(jti)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(new TextEncoder().encode(secret));
}
