import { listMessages } from '../domain/chat.js';
import { messagePageJson } from '../protocol/json.js';
import { historyQuery } from '../protocol/schemas.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** GET /api/chat/rooms/{id}/messages/?limit&before|after: history in id order, paged by message id. */
export const handler = httpHandler(async (request) => {
  const query = request.query(historyQuery);
  return json(200, messagePageJson(await listMessages(queryDeps, request.actor, request.roomId(), query)));
});
