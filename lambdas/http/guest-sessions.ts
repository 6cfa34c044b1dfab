import { NotFound } from '../domain/errors.js';
import { exchangeIdentity, refreshSession, startGuestSession } from '../domain/sessions.js';
import { guestSessionBody, sessionJson } from '../protocol/sessions.js';
import { json, publicHttpHandler } from '../runtime/http.js';
import { sessionDeps } from '../runtime/session-deps.js';

/**
 * POST /api/chat/guest-sessions/: nothing → 201 a new guest (limited per source address); `refresh_token` →
 * 200 the same user, renewed (the secret rotates); `identity_token` → 201 the host site's verified user, and
 * with a guest's session token in `Authorization`, the guest upgraded into them. docs/sessions.md.
 */
export const handler = publicHttpHandler(async (request) => {
  if (!sessionDeps) throw new NotFound('This stack has no session issuer', 'not_found');
  const body = request.body(guestSessionBody);
  if (body.refresh_token !== undefined)
    return json(200, sessionJson(await refreshSession(sessionDeps, body.refresh_token)));
  if (body.identity_token !== undefined)
    return json(
      201,
      sessionJson(await exchangeIdentity(sessionDeps, body.identity_token, request.authorization)),
    );
  return json(201, sessionJson(await startGuestSession(sessionDeps, request.clientAddress)));
});
