import { leaveAndRelease } from '../domain/assignment.js';
import { roomJson } from '../protocol/json.js';
import { assignmentDeps } from '../runtime/assignment-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** POST /api/chat/rooms/{id}/leave/: a staff member leaves a room (unassigned first if it was theirs). */
export const handler = httpHandler(async (request) =>
  json(200, roomJson(await leaveAndRelease(assignmentDeps, request.actor, request.roomId()))),
);
