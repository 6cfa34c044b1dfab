import { listClosedRooms } from '../domain/history.js';
import { historyPageJson } from '../protocol/json.js';
import { roomListQuery } from '../protocol/schemas.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** GET /api/chat/closed-rooms/: every closed room, newest close first, with who closed it (staff only). */
export const handler = httpHandler(async (request) => {
  const { limit, cursor } = request.query(roomListQuery);
  return json(200, historyPageJson(await listClosedRooms(queryDeps, request.actor, { limit, cursor })));
});
