import { joinRoom } from '../domain/chat.js';
import { roomJson } from '../protocol/json.js';
import { commandDeps } from '../runtime/command-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** POST /api/chat/rooms/{id}/join/: a staff member joins an open room. */
export const handler = httpHandler(async (request) =>
  json(200, roomJson(await joinRoom(commandDeps, request.actor, request.roomId()))),
);
