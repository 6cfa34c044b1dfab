import { markRead } from '../domain/chat.js';
import { requireFollowing } from '../domain/connections.js';
import { readFrame } from '../protocol/schemas.js';
import { commandDeps } from '../runtime/command-deps.js';
import { wsRoute } from '../runtime/ws.js';

/** `{"type":"read","message_id":N,"room_id"?}`: moves the read pointer; the room gets a `read_receipt`. */
export const handler = wsRoute(async (request) => {
  const frame = request.frame(readFrame);
  const roomId = request.roomOf(frame);
  await requireFollowing(commandDeps, roomId, request.connectionId);
  await markRead(commandDeps, request.actor, roomId, frame.message_id);
});
