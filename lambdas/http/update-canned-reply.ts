import { requireStaff, updateCannedReply } from '../domain/canned-replies.js';
import { cannedReplyBody, cannedReplyJson, checkedReplyId } from '../protocol/canned-replies.js';
import { cannedDeps } from '../runtime/canned-deps.js';
import { config } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

const body = cannedReplyBody(config.maxMessageLength);

/**
 * PUT /api/chat/canned-replies/{id}/ `{"title", "shortcut", "text"}`: replaces the reply (staff only); 404
 * for an unknown one, 409 `shortcut_taken` when another reply has the new shortcut.
 */
export const handler = httpHandler(async (request) => {
  requireStaff(request.actor);
  const replyId = checkedReplyId(request.event.pathParameters?.id);
  const input = request.body(body);
  return json(200, cannedReplyJson(await updateCannedReply(cannedDeps, request.actor, replyId, input)));
});
