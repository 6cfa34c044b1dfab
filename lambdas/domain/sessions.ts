import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ChatDeps } from './chat.js';
import { AppError } from './errors.js';
import { Limit, type LimitDeps, spendByAddress } from './limits.js';
import { GUEST_PREFIX, type SessionKind, siteUserId, UserKind } from './namespaces.js';
import { recordVerifiedProfile, syncCustomerName } from './people.js';

/**
 * Sessions of the stack's own issuer: guests (`POST /api/chat/guest-sessions/` with nothing), renewed with a
 * refresh secret that rotates on every use, and a host site's verified users (the same endpoint with the site's
 * identity token), into whom a guest can be upgraded. docs/sessions.md describes the endpoint.
 */

/** What a verified identity token says (lambdas/runtime/identity-secret.ts checks it). */
export interface IdentityClaims {
  /** The site's own id for its user (the stack's user id is `site_` + this). */
  readonly sub: string;
  /** Works once. */
  readonly jti: string;
  /** Epoch seconds. */
  readonly exp: number;
  readonly name?: string;
  readonly email?: string;
}

/** 401: an identity token that is forged, expired, too long-lived, replayed or malformed. */
export class InvalidIdentityToken extends AppError {
  constructor(reason: string) {
    super(401, 'invalid_identity_token', `The identity token is not valid: ${reason}`);
  }
}

/** 401: a refresh secret that is unknown, expired, revoked, or rotated longer ago than the grace. */
export class InvalidRefreshToken extends AppError {
  constructor() {
    super(401, 'invalid_refresh_token', 'The refresh token is not valid: start a new session');
  }
}

/** 401: an `Authorization` header on an identity exchange that is no valid session token of the stack's. */
export class InvalidSessionToken extends AppError {
  constructor() {
    super(401, 'invalid_session_token', 'The Authorization header is not a valid session token');
  }
}

/** A refresh secret's record: whose session it renews. */
export interface RefreshRecord {
  readonly userId: string;
  readonly kind: SessionKind;
}

/** What the flows need from storage. Every conditional outcome comes back as a value. */
export interface SessionStore {
  /** Stores a new refresh secret (by hash) until `expiresAt` (epoch seconds). */
  putRefresh(secretHash: string, record: RefreshRecord, expiresAt: number): Promise<void>;
  /**
   * Uses a refresh secret: its record if it exists, has not expired, and was not used longer than `graceMs`
   * ago; null otherwise. The first use starts its grace, whatever happens after.
   */
  useRefresh(secretHash: string, nowMs: number, graceMs: number): Promise<RefreshRecord | null>;
  /** Forgets a refresh secret; one that is already gone is fine. */
  deleteRefresh(secretHash: string): Promise<void>;
  /** Records an identity token's `jti` until `expiresAt`; false if it was used before. */
  claimIdentityJti(jti: string, expiresAt: number): Promise<boolean>;
}

/** Moves a guest's rooms to the user they turned out to be. */
export interface RoomTransfer {
  /** Moves every room of `fromUserId` to `toUserId`; safe to repeat after a failure. Returns how many moved. */
  moveRooms(fromUserId: string, toUserId: string): Promise<number>;
}

/** The stack's session issuer (KMS Sign). */
export interface SessionSigner {
  sign(
    subject: { readonly userId: string; readonly kind: SessionKind },
    ttlSeconds: number,
  ): Promise<{ readonly token: string; readonly expiresAt: number }>;
}

/** Who a verified session token names, or null if the token is not one of the session issuer's. */
export type SessionBearerVerifier = (
  token: string,
) => Promise<{ readonly userId: string; readonly kind: SessionKind } | null>;

export interface SessionDeps extends LimitDeps {
  readonly sessions: SessionStore;
  readonly rooms: RoomTransfer;
  /** People's profiles and the name their rooms show (lambdas/domain/people.ts). */
  readonly people: ChatDeps;
  readonly signer: SessionSigner;
  readonly identity: { verify(token: string): Promise<IdentityClaims> } | undefined;
  readonly bearer: SessionBearerVerifier;
  readonly settings: {
    readonly sessionTtlSeconds: number;
    readonly refreshTtlDays: number;
    readonly refreshGraceSeconds: number;
  };
  readonly now?: () => number;
}

/** A session handed out: its token and the refresh secret that renews it. */
export interface IssuedSession {
  readonly token: string;
  readonly userId: string;
  readonly kind: SessionKind;
  /** Epoch seconds. */
  readonly expiresAt: number;
  readonly refreshToken: string;
  /** The guest this verified session was upgraded from. */
  readonly upgradedFrom?: string;
}

const nowOf = (deps: SessionDeps) => (deps.now ? deps.now() : Date.now());
/** Refresh secrets are stored by hash: a leaked table export renews nobody's session. */
const hashOf = (secret: string) => createHash('sha256').update(secret).digest('base64url');

/** A new visitor: a guest session for a new `guest_…` id, counted against the caller's address. */
export async function startGuestSession(deps: SessionDeps, clientAddress: string): Promise<IssuedSession> {
  await spendByAddress(deps, Limit.guestSessions, clientAddress, nowOf(deps));
  return issue(deps, { userId: `${GUEST_PREFIX}${randomUUID()}`, kind: UserKind.guest });
}

/**
 * Renews a session: the same user and kind, a new token and a new refresh secret. The old secret keeps working
 * for the grace (two tabs that refresh at once both succeed), then is refused. Used first and replaced after, so
 * a failure in between leaves the old secret working for a retry within the grace.
 */
export async function refreshSession(deps: SessionDeps, refreshToken: string): Promise<IssuedSession> {
  const record = await deps.sessions.useRefresh(
    hashOf(refreshToken),
    nowOf(deps),
    deps.settings.refreshGraceSeconds * 1000,
  );
  if (!record) throw new InvalidRefreshToken();
  // A guest that became a verified user is renewed no more: whoever kept its secret (the next person on a
  // shared device) would otherwise go on as a guest that shows to staff as that person. One GetItem, guests only.
  if (record.kind === UserKind.guest && (await deps.people.store.getProfile(record.userId))?.linkedTo) {
    await deps.sessions.deleteRefresh(hashOf(refreshToken));
    throw new InvalidRefreshToken();
  }
  return issue(deps, record);
}

/** Forgets a refresh secret (a sign-out); idempotent. The session token itself lives out its hour. */
export async function revokeSession(deps: SessionDeps, refreshToken: string): Promise<void> {
  await deps.sessions.deleteRefresh(hashOf(refreshToken));
}

/**
 * A host site's signed-in user: a verified session for `site_<sub>`, whose profile takes the token's name and
 * email (verified). With a guest's session token as `bearerToken`, the guest is upgraded (`upgradedFrom`): its
 * profile is linked to the verified user (so its old messages show as that person) and its rooms become theirs.
 * A verified session's token is no guest to upgrade and changes nothing.
 *
 * The `jti` is claimed before anything else is written, so a token works once even when two requests race with
 * it (a failure after the claim needs a new token). The link comes before the rooms, and decides where they go:
 * a guest already linked to someone else (its upgrade failed halfway, and is retried with another identity)
 * has its rooms finish moving there, never to a second owner.
 */
export async function exchangeIdentity(
  deps: SessionDeps,
  identityToken: string,
  bearerToken: string | undefined,
): Promise<IssuedSession> {
  if (!deps.identity) throw new InvalidIdentityToken('this stack accepts no identity tokens');
  const claims = await deps.identity.verify(identityToken);
  const bearer = bearerToken === undefined ? undefined : await deps.bearer(bearerToken);
  if (bearer === null) throw new InvalidSessionToken();
  if (!(await deps.sessions.claimIdentityJti(claims.jti, claims.exp)))
    throw new InvalidIdentityToken('its jti was used before');
  const userId = siteUserId(claims.sub);
  await recordVerifiedProfile(deps.people, userId, {
    ...(claims.name === undefined ? {} : { name: claims.name }),
    ...(claims.email === undefined ? {} : { email: claims.email }),
  });
  let upgradedFrom: string | undefined;
  if (bearer?.kind === UserKind.guest) {
    const at = new Date(nowOf(deps)).toISOString();
    const link = await deps.people.store.linkProfile(bearer.userId, userId, at);
    const owner = link.kind === 'linked' ? userId : link.linkedTo;
    // The rooms that changed hands show their new owner's name. Rooms an earlier, failed attempt moved are
    // renamed by this attempt's recordVerifiedProfile above, when its token names the user.
    if ((await deps.rooms.moveRooms(bearer.userId, owner)) > 0) await syncCustomerName(deps.people, owner);
    if (owner === userId) upgradedFrom = bearer.userId;
  }
  const session = await issue(deps, { userId, kind: UserKind.verified });
  return upgradedFrom ? { ...session, upgradedFrom } : session;
}

/** Stores a new refresh secret for `record`, then signs its session token (one KMS Sign). */
async function issue(deps: SessionDeps, record: RefreshRecord): Promise<IssuedSession> {
  const refreshToken = randomBytes(32).toString('base64url');
  const expiresAt = Math.floor(nowOf(deps) / 1000) + deps.settings.refreshTtlDays * 86_400;
  await deps.sessions.putRefresh(hashOf(refreshToken), record, expiresAt);
  const signed = await deps.signer.sign(record, deps.settings.sessionTtlSeconds);
  return {
    token: signed.token,
    userId: record.userId,
    kind: record.kind,
    expiresAt: signed.expiresAt,
    refreshToken,
  };
}
