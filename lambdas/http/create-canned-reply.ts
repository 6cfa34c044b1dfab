import { createCannedReply, requireStaff } from '../domain/canned-replies.js';
import { cannedReplyBody, cannedReplyJson } from '../protocol/canned-replies.js';
import { cannedDeps } from '../runtime/canned-deps.js';
import { config } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

const body = cannedReplyBody(config.maxMessageLength);

/**
 * POST /api/chat/canned-replies/ `{"title", "shortcut", "text"}`: 201 with the reply (staff only); 409
 * `shortcut_taken` when another reply has the shortcut, `canned_replies_full` at the team's limit.
 */
export const handler = httpHandler(async (request) => {
  requireStaff(request.actor);
  return json(201, cannedReplyJson(await createCannedReply(cannedDeps, request.actor, request.body(body))));
});
