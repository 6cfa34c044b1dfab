import { getRoomDetail } from '../domain/chat.js';
import { roomDetailJson } from '../protocol/json.js';
import { queryDeps } from '../runtime/deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** GET /api/chat/rooms/{id}/: the room, its members, their read pointers and presence. */
export const handler = httpHandler(async (request) =>
  json(200, roomDetailJson(await getRoomDetail(queryDeps, request.actor, request.roomId()))),
);
