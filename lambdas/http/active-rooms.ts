import { listActiveRooms } from '../domain/chat.js';
import { roomPageJson } from '../protocol/json.js';
import { roomListQuery } from '../protocol/schemas.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** GET /api/chat/active-rooms/: every open room, newest activity first (staff only). */
export const handler = httpHandler(async (request) => {
  const { limit, cursor } = request.query(roomListQuery);
  return json(200, roomPageJson(await listActiveRooms(queryDeps, request.actor, { limit, cursor })));
});
