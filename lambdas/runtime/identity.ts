import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import { isSessionNamespaced } from '../domain/namespaces.js';
import { type Actor, Role } from '../domain/types.js';
import type { Config } from './config.js';

/**
 * The longest user id accepted, in UTF-8 bytes: OpenID Connect caps `sub` at 255 ASCII characters, and
 * every key built from a user id (percent-encoded, at most 3 bytes a byte) then stays under DynamoDB's
 * 1,024-byte sort key limit.
 */
export const MAX_USER_ID_BYTES = 255;

/**
 * Whether a groups claim names `group`, by exact, case-sensitive equality: an array claim must hold it as one
 * element, and a string claim (an issuer that sends a single group as a string) must be exactly it. A string
 * is never split: `"Kitchen staff"`, `"x,staff"` and `"staff "` are not `staff`.
 */
export function claimNamesGroup(value: unknown, group: string): boolean {
  if (Array.isArray(value)) return value.some((item) => item === group);
  return value === group;
}

/**
 * A user id that can key the table: a non-empty, well-formed Unicode string (no lone surrogate, which cannot
 * be encoded), without control characters, and at most {@link MAX_USER_ID_BYTES} bytes long.
 */
export function isUsableUserId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value !== '' &&
    value.isWellFormed() &&
    !/\p{Cc}/u.test(value) &&
    Buffer.byteLength(value, 'utf8') <= MAX_USER_ID_BYTES
  );
}

/** The claims that name the staff issuer's user and say whether they are staff. */
export type ClaimSettings = Pick<Config, 'userIdClaim' | 'staffClaim' | 'staffGroup'>;

/**
 * The caller, from a verified token of the staff issuer (Cognito or the configured OIDC issuer), by its own
 * claims (real arrays, as the issuer signed them). Returns null when the token names no usable user, or a user
 * in a namespace only the session issuer signs (`guest_…`, `site_…`: lambdas/domain/namespaces.ts), which both
 * APIs answer with 401.
 */
export function actorFromClaims(
  claims: Record<string, unknown> | undefined,
  config: ClaimSettings,
): Actor | null {
  const userId = claims?.[config.userIdClaim];
  if (!isUsableUserId(userId) || isSessionNamespaced(userId)) return null;
  const staff = claimNamesGroup(claims?.[config.staffClaim], config.staffGroup);
  return { userId, role: staff ? Role.staff : Role.customer };
}

/**
 * The caller of an HTTP API route. API Gateway's JWT authorizer has verified the bearer token in the
 * `Authorization` header, but hands the integration its claims flattened to strings, and lossily:
 * `["Former staff"]` and `["Former", "staff"]` both arrive as `"[Former staff]"`. So the claims are read from
 * the verified token itself, and taken only when its issuer, subject and expiry are the ones the authorizer
 * verified (a header that differs from what was verified is refused, never trusted).
 */
export function actorFromHttpAuthorizer(
  authorization: string | undefined,
  verified: Record<string, unknown> | undefined,
  config: ClaimSettings,
): Actor | null {
  if (!authorization || !verified) return null;
  const token = authorization.replace(/^Bearer\s+/i, '');
  let payload: Record<string, unknown>;
  try {
    payload = decomposeUnverifiedJwt(token).payload as Record<string, unknown>;
  } catch {
    return null;
  }
  for (const claim of ['iss', 'exp', config.userIdClaim]) {
    if (payload[claim] === undefined || String(payload[claim]) !== verified[claim]) return null;
  }
  return actorFromClaims(payload, config);
}
