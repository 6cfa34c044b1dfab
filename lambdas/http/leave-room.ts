import { leaveRoom } from '../domain/chat.js';
import { roomJson } from '../protocol/json.js';
import { commandDeps } from '../runtime/command-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** POST /api/chat/rooms/{id}/leave/: a staff member leaves a room. */
export const handler = httpHandler(async (request) =>
  json(200, roomJson(await leaveRoom(commandDeps, request.actor, request.roomId()))),
);
