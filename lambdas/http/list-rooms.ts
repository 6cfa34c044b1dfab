import { listMyRooms } from '../domain/chat.js';
import { roomPageJson } from '../protocol/json.js';
import { roomListQuery } from '../protocol/schemas.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** GET /api/chat/rooms/: a customer's own rooms, or the open rooms a staff member has joined. */
export const handler = httpHandler(async (request) => {
  const { limit, cursor } = request.query(roomListQuery);
  return json(200, roomPageJson(await listMyRooms(queryDeps, request.actor, { limit, cursor })));
});
