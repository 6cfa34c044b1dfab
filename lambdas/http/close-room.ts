import { closeAndRelease } from '../domain/assignment.js';
import { roomJson } from '../protocol/json.js';
import { assignmentDeps } from '../runtime/assignment-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** POST /api/chat/rooms/{id}/close/: the room's customer or any staff member closes it. */
export const handler = httpHandler(async (request) =>
  json(200, roomJson(await closeAndRelease(assignmentDeps, request.actor, request.roomId()))),
);
