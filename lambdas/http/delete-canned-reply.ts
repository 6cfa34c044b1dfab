import { deleteCannedReply } from '../domain/canned-replies.js';
import { checkedReplyId } from '../protocol/canned-replies.js';
import { cannedDeps } from '../runtime/canned-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** DELETE /api/chat/canned-replies/{id}/: 204 (staff only); 404 for a reply that does not exist. */
export const handler = httpHandler(async (request) => {
  const replyId = checkedReplyId(request.event.pathParameters?.id);
  await deleteCannedReply(cannedDeps, request.actor, replyId);
  return json(204, undefined);
});
