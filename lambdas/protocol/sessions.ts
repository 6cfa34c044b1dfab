import * as v from 'valibot';
import type { IssuedSession } from '../domain/sessions.js';

/**
 * The wire shapes of `POST /api/chat/guest-sessions/` and `…/revoke/` (docs/sessions.md): what a widget sends
 * and what it gets back.
 */

/** Tokens are opaque here: a malformed one is simply not valid (401), not a bad request. */
const token = (field: string, maxLength: number) =>
  v.pipe(
    v.string(`${field} must be a string`),
    v.minLength(1, `${field} must not be empty`),
    v.maxLength(maxLength, `${field} must be at most ${maxLength} characters`),
  );

/** Nothing (a new guest), a refresh secret (renew), or an identity token (a verified user): one at most. */
export const guestSessionBody = v.pipe(
  v.object({
    refresh_token: v.optional(token('refresh_token', 512)),
    identity_token: v.optional(token('identity_token', 8192)),
  }),
  v.check(
    (body) => body.refresh_token === undefined || body.identity_token === undefined,
    'send refresh_token or identity_token, not both',
  ),
);

export const revokeSessionBody = v.object({ refresh_token: token('refresh_token', 512) });

export function sessionJson(session: IssuedSession) {
  return {
    token: session.token,
    user_id: session.userId,
    kind: session.kind,
    expires_at: new Date(session.expiresAt * 1000).toISOString(),
    refresh_token: session.refreshToken,
    ...(session.upgradedFrom === undefined ? {} : { upgraded_from: session.upgradedFrom }),
  };
}
