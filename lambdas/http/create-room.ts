import { createRoom } from '../domain/chat.js';
import { roomJson } from '../protocol/json.js';
import { createRoomBody } from '../protocol/schemas.js';
import { autoAssignNewRoom } from '../runtime/assignment-deps.js';
import { commandDeps } from '../runtime/command-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** POST /api/chat/rooms/ {room_type?, subject?, page_url?}: a customer opens a room; the queue hears of it. */
export const handler = httpHandler(async (request) => {
  const body = request.body(createRoomBody);
  const room = await createRoom(commandDeps, request.actor, {
    roomType: body.room_type,
    subject: body.subject,
    pageUrl: body.page_url,
  });
  return json(201, roomJson(await autoAssignNewRoom(room)));
});
