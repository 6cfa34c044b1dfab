import { assignRoom } from '../domain/assignment.js';
import { assignBody } from '../protocol/assignment-schemas.js';
import { roomJson } from '../protocol/json.js';
import { assignmentDeps } from '../runtime/assignment-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/**
 * POST /api/chat/rooms/{id}/assign/ {staff_id, expected_assignee_id?}: staff take a room, give it to a
 * colleague, transfer it or unassign it; 409 `already_assigned` (with `assignee_id`) when someone else has
 * it by then.
 */
export const handler = httpHandler(async (request) => {
  const body = request.body(assignBody);
  const room = await assignRoom(assignmentDeps, request.actor, request.roomId(), {
    staffId: body.staff_id,
    expectedAssigneeId: body.expected_assignee_id,
  });
  return json(200, roomJson(room));
});
