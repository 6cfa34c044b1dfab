import { typing } from '../domain/connections.js';
import { typingFrame } from '../protocol/schemas.js';
import { commandDeps } from '../runtime/command-deps.js';
import { wsRoute } from '../runtime/ws.js';

/** `{"type":"typing","is_typing":true,"room_id"?}`: tells the room's other sockets; nothing is stored. */
export const handler = wsRoute(async (request) => {
  const frame = request.frame(typingFrame);
  await typing(commandDeps, request.actor, request.roomOf(frame), frame.is_typing, request.connectionId);
});
