import { JwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwksValidationError, JwtBaseError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import {
  assertIsJwks,
  findJwkInJwks,
  type Jwks,
  type JwksCache,
  type JwkWithKid,
  SimpleJwksCache,
} from 'aws-jwt-verify/jwk';
import type { JwtHeader, JwtPayload } from 'aws-jwt-verify/jwt-model';
import { isSessionNamespaced, kindOf, SESSION_KINDS } from '../domain/namespaces.js';
import { type Actor, Role } from '../domain/types.js';
import { type Config, ENV } from './config.js';
import { actorFromClaims, type ClaimSettings, isUsableUserId } from './identity.js';
import { logger } from './logger.js';
import { SESSION_AUDIENCE, SESSION_TOKEN_USE, sessionJwks } from './session-tokens.js';

/**
 * One verifier for the two issuers whose tokens the APIs accept (docs/architecture.md, "Who signs"):
 *
 * - the staff issuer (Cognito or the configured OIDC issuer): staff and customers with an account;
 * - the stack's session issuer: guests and a host site's verified users, always customers.
 *
 * Used by `httpHandler` on every `auth: 'function'` route and by the WebSocket `$connect` authorizer, so both
 * APIs accept exactly the same tokens. Keys are cached per container: the session issuer's come from one KMS
 * GetPublicKey call, never over HTTP.
 */

/** A verified caller, and when its token expires (epoch seconds). */
export interface VerifiedCaller extends Actor {
  readonly tokenExpiresAt: number;
}

/**
 * Verifies a bearer token. Resolves to the caller, or null for a token that is not good (answered 401: bad
 * signature, issuer, audience, expiry, claims); rejects when the issuers' keys cannot be had (JWKS fetch,
 * KMS), a failure of ours that must never pass for a bad token.
 */
export type TokenVerifier = (token: string) => Promise<VerifiedCaller | null>;

/** The staff issuer, as the native JWT authorizer is configured with it. */
export interface StaffIssuerSettings {
  readonly issuer: string;
  /** Accepted in `aud`, or in `client_id` when the token has no `aud` (Cognito access tokens). */
  readonly audiences: readonly string[];
  /** @default `${issuer}/.well-known/jwks.json` */
  readonly jwksUri?: string | undefined;
  /** Keys given inline (the local issuer, which has no https endpoint): used as they are, never fetched. */
  readonly jwks?: Jwks | undefined;
}

export interface VerifierSettings {
  readonly staff: StaffIssuerSettings;
  /** The session issuer; absent: session tokens are refused like any unknown issuer's. */
  readonly session?: Config['sessionIssuer'];
  readonly claims: ClaimSettings;
  /** Where the session issuer's JWKS comes from. @default one KMS GetPublicKey ({@link sessionJwks}) */
  readonly sessionKeys?: (keyId: string) => Promise<Jwks>;
}

/** One issuer, as aws-jwt-verify's multi-issuer verifier takes it. */
interface IssuerProperties {
  issuer: string;
  audience: string | null;
  jwksUri?: string;
  customJwtCheck: (props: { payload: JwtPayload }) => void;
}

const defaultSessionKeys = async (keyId: string): Promise<Jwks> => (await sessionJwks(keyId)) as Jwks;

/** A token whose signature verified but whose claims the APIs do not take (audience, token_use, kind, sub). */
class TokenRefused extends Error {}

/** The issuers' keys could not be had: ours to fix, never a bad token. */
export class IssuerKeysUnavailable extends Error {
  constructor(source: string, cause: unknown) {
    super(`The signing keys of ${source} could not be loaded`, { cause });
    this.name = 'IssuerKeysUnavailable';
  }
}

/** The staff issuer from the environment the stack sets: JWT_ISSUER, JWT_AUDIENCE (comma-separated), ... */
export function staffIssuerFromEnv(env: NodeJS.ProcessEnv = process.env): StaffIssuerSettings {
  const issuer = env[ENV.jwtIssuer];
  const audiences = (env[ENV.jwtAudience] ?? '').split(',').filter((a) => a !== '');
  if (!issuer || audiences.length === 0)
    throw new Error(`${ENV.jwtIssuer} and ${ENV.jwtAudience} must be set`);
  const inline = env[ENV.jwtJwks];
  let jwks: Jwks | undefined;
  if (inline) {
    const parsed: unknown = JSON.parse(inline);
    assertIsJwks(parsed as Parameters<typeof assertIsJwks>[0]);
    jwks = parsed as Jwks;
  }
  return { issuer, audiences, jwksUri: env[ENV.jwtJwksUri] || undefined, jwks };
}

/**
 * The verifier for both issuers. Build it once per container (module scope, or {@link verifyToken}), so its key
 * caches live as long as the container does.
 */
export function createVerifier(settings: VerifierSettings): TokenVerifier {
  const { staff, session, claims } = settings;
  const loadSessionKeys = settings.sessionKeys ?? defaultSessionKeys;
  // Pinned JWKS are keyed by a name no HTTP fetch could take for a URL.
  const pinned = new Map<string, () => Promise<Jwks>>();
  const inlineJwks = staff.jwks;
  const staffJwksUri = inlineJwks ? `inline:${staff.issuer}` : staff.jwksUri;
  if (inlineJwks && staffJwksUri) pinned.set(staffJwksUri, async () => inlineJwks);
  const issuers: IssuerProperties[] = [
    {
      issuer: staff.issuer,
      audience: null,
      customJwtCheck: ({ payload }) => checkStaffAudience(payload, staff.audiences),
      ...(staffJwksUri ? { jwksUri: staffJwksUri } : {}),
    },
  ];
  if (session) {
    const jwksUri = `kms:${session.keyId}`;
    pinned.set(jwksUri, () => loadSessionKeys(session.keyId));
    issuers.push({
      issuer: session.issuer,
      audience: SESSION_AUDIENCE,
      jwksUri,
      customJwtCheck: ({ payload }) => checkSession(payload),
    });
  }
  const verifier = JwtVerifier.create(issuers, { jwksCache: new PinnedJwksCache(pinned) });

  return async (token) => {
    let payload: JwtPayload;
    try {
      payload = await verifier.verify(token);
    } catch (error) {
      if (isKeyFailure(error)) throw error;
      if (!(error instanceof JwtBaseError || error instanceof TokenRefused)) throw error;
      return refused(error.message);
    }
    // aws-jwt-verify refuses an expired token but accepts one without `exp`, which would never end.
    if (typeof payload.exp !== 'number') return refused('The token has no exp');
    if (session && payload.iss === session.issuer) {
      // Checked in checkSession; a groups claim is ignored: the session issuer only ever signs customers.
      return { userId: payload.sub as string, role: Role.customer, tokenExpiresAt: payload.exp };
    }
    const actor = actorFromClaims(payload, claims);
    if (!actor) return refused('The token does not name a usable user of the staff issuer');
    return { ...actor, tokenExpiresAt: payload.exp };
  };
}

/**
 * The two things a session token must say besides iss/aud/exp: that it is one (`token_use`), and which
 * namespace its subject is in (`kind`, which must be the namespace the `sub` is in: a guest's token cannot name
 * a site user, nor either an account).
 */
function checkSession(payload: JwtPayload): void {
  if (payload.token_use !== SESSION_TOKEN_USE) throw new TokenRefused('Not a session token (token_use)');
  const sub = payload.sub;
  const kind = payload.kind;
  if (!isUsableUserId(sub) || !isSessionNamespaced(sub))
    throw new TokenRefused('The session token names no guest or site user');
  if (typeof kind !== 'string' || !Object.hasOwn(SESSION_KINDS, kind) || kindOf(sub) !== kind)
    throw new TokenRefused('The session token kind does not match its sub');
  if (sub.length === SESSION_KINDS[kind as keyof typeof SESSION_KINDS].length)
    throw new TokenRefused('The session token names an empty id');
}

/**
 * Accepts what API Gateway's HTTP JWT authorizer accepts: one of the audiences in `aud`, or, for tokens
 * without `aud` such as Cognito access tokens, in `client_id`.
 */
function checkStaffAudience(payload: JwtPayload, accepted: readonly string[]): void {
  const aud = payload.aud;
  const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
  if (audiences.some((a) => accepted.includes(a))) return;
  if (aud === undefined && typeof payload.client_id === 'string' && accepted.includes(payload.client_id))
    return;
  throw new TokenRefused('Token audience does not match');
}

function isKeyFailure(error: unknown): boolean {
  return (
    error instanceof IssuerKeysUnavailable ||
    error instanceof FetchError ||
    error instanceof JwksValidationError
  );
}

function refused(reason: string): null {
  logger.info('Token refused', { reason });
  return null;
}

/**
 * aws-jwt-verify's key cache, with some sources pinned: a pinned JWKS (the session issuer's from KMS, an
 * inline staff JWKS) is loaded once, on first use, and never fetched over HTTP. A `kid` it lacks is a bad token
 * (KidNotFoundInJwksError), not a reason to ask again; a failed load is {@link IssuerKeysUnavailable} and is
 * tried again by the next request. Every other JWKS URI is fetched and cached as aws-jwt-verify does.
 */
class PinnedJwksCache implements JwksCache {
  private readonly fetched = new SimpleJwksCache();
  private readonly loaded = new Map<string, Jwks>();
  private readonly loading = new Map<string, Promise<Jwks>>();

  constructor(private readonly pinned: ReadonlyMap<string, () => Promise<Jwks>>) {}

  async getJwk(jwksUri: string, jwt: { header: JwtHeader; payload: JwtPayload }): Promise<JwkWithKid> {
    if (!this.pinned.has(jwksUri)) return this.fetched.getJwk(jwksUri, jwt);
    await this.getJwks(jwksUri);
    return this.getCachedJwk(jwksUri, jwt);
  }

  getCachedJwk(jwksUri: string, jwt: { header: JwtHeader; payload: JwtPayload }): JwkWithKid {
    const jwks = this.loaded.get(jwksUri);
    if (!this.pinned.has(jwksUri) || !jwks) return this.fetched.getCachedJwk(jwksUri, jwt);
    const kid = jwt.header.kid;
    const jwk = typeof kid === 'string' ? findJwkInJwks(jwks, kid) : undefined;
    if (!jwk) throw new KidNotFoundInJwksError(`JWK for kid ${String(kid)} not found in the JWKS`);
    return jwk;
  }

  addJwks(jwksUri: string, jwks: Jwks): void {
    if (this.pinned.has(jwksUri)) this.loaded.set(jwksUri, jwks);
    else this.fetched.addJwks(jwksUri, jwks);
  }

  async getJwks(jwksUri: string): Promise<Jwks> {
    const load = this.pinned.get(jwksUri);
    if (!load) return this.fetched.getJwks(jwksUri);
    const cached = this.loaded.get(jwksUri);
    if (cached) return cached;
    let pending = this.loading.get(jwksUri);
    if (!pending) {
      pending = load().then(
        (jwks) => {
          assertIsJwks(jwks);
          this.loaded.set(jwksUri, jwks);
          return jwks;
        },
        (error: unknown) => {
          throw new IssuerKeysUnavailable(jwksUri, error);
        },
      );
      // One load at a time however many requests wait for it; a failed one is forgotten, so the next retries.
      this.loading.set(jwksUri, pending);
      pending.then(
        () => this.loading.delete(jwksUri),
        () => this.loading.delete(jwksUri),
      );
    }
    return pending;
  }
}

let shared: TokenVerifier | undefined;

/**
 * Verifies with the container's verifier, created on first use from the environment (the staff issuer's JWT_*
 * variables) and the container's `config` (its session issuer and claims), so the `jwt` routes, which never
 * call it, need neither.
 */
export function verifyToken(token: string, config: Config): Promise<VerifiedCaller | null> {
  shared ??= createVerifier({ staff: staffIssuerFromEnv(), session: config.sessionIssuer, claims: config });
  return shared(token);
}

/** The token of an `Authorization: Bearer <token>` header; undefined when there is none. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
