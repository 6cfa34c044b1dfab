import { closeRoom } from '../domain/chat.js';
import { roomJson } from '../protocol/json.js';
import { commandDeps } from '../runtime/command-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** POST /api/chat/rooms/{id}/close/: the room's customer or any staff member closes it. */
export const handler = httpHandler(async (request) =>
  json(200, roomJson(await closeRoom(commandDeps, request.actor, request.roomId()))),
);
