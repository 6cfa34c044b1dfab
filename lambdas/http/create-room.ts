import { createRoom } from '../domain/chat.js';
import { roomJson } from '../protocol/json.js';
import { createRoomBody } from '../protocol/schemas.js';
import { commandDeps } from '../runtime/command-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** POST /api/chat/rooms/: a customer opens a room; online staff get a `room` frame. */
export const handler = httpHandler(async (request) => {
  const body = request.body(createRoomBody);
  const room = await createRoom(commandDeps, request.actor, {
    roomType: body.room_type,
    subject: body.subject,
  });
  return json(201, roomJson(room));
});
