import { issueTicket } from '../domain/connections.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

/**
 * POST /api/chat/ws-ticket/: a one-time ticket for `wss://…?ticket=`, good for 60 seconds, so browsers do not
 * put a long-lived JWT in a URL (and in access logs).
 */
export const handler = httpHandler(async (request) => {
  const { ticket, expiresIn } = await issueTicket(queryDeps, request.actor, request.tokenExpiresAt);
  return json(201, { ticket, expires_in: expiresIn });
});
