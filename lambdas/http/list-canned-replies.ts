import { listCannedReplies } from '../domain/canned-replies.js';
import { cannedReplyListJson } from '../protocol/canned-replies.js';
import { cannedDeps } from '../runtime/canned-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** GET /api/chat/canned-replies/: the team's canned replies, by shortcut, all of them (staff only). */
export const handler = httpHandler(async (request) =>
  json(200, cannedReplyListJson(await listCannedReplies(cannedDeps, request.actor))),
);
