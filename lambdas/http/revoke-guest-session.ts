import { NotFound } from '../domain/errors.js';
import { revokeSession } from '../domain/sessions.js';
import { revokeSessionBody } from '../protocol/sessions.js';
import { json, publicHttpHandler } from '../runtime/http.js';
import { sessionDeps } from '../runtime/session-deps.js';

/**
 * POST /api/chat/guest-sessions/revoke/ `{"refresh_token"}` → 200 `{"revoked": true}`, whether or not the
 * secret was still known (a sign-out that is retried, or repeated in another tab, is no error).
 */
export const handler = publicHttpHandler(async (request) => {
  if (!sessionDeps) throw new NotFound('This stack has no session issuer', 'not_found');
  await revokeSession(sessionDeps, request.body(revokeSessionBody).refresh_token);
  return json(200, { revoked: true });
});
