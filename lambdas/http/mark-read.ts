import { markRead } from '../domain/chat.js';
import { markReadBody } from '../protocol/schemas.js';
import { commandDeps } from '../runtime/command-deps.js';
import { httpHandler, json } from '../runtime/http.js';

/** POST /api/chat/rooms/{id}/mark_read/ {message_id?}: moves the caller's read pointer forward. */
export const handler = httpHandler(async (request) => {
  const { message_id } = request.body(markReadBody);
  const state = await markRead(commandDeps, request.actor, request.roomId(), message_id);
  return json(200, {
    room_id: state.roomId,
    user_id: state.userId,
    last_read: state.lastRead,
    unread_count: state.unreadCount,
  });
});
