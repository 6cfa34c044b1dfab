import { unsubscribe } from '../domain/chat.js';
import { frames } from '../protocol/frames.js';
import { subscriptionFrame } from '../protocol/schemas.js';
import { commandDeps } from '../runtime/command-deps.js';
import { checkedRoomId, wsRoute } from '../runtime/ws.js';

/** `{"type":"unsubscribe","room_id":"…"}`: stops following a room on this socket. */
export const handler = wsRoute(async (request) => {
  const { room_id } = request.frame(subscriptionFrame);
  const roomId = checkedRoomId(room_id);
  await unsubscribe(commandDeps, roomId, request.connectionId);
  await request.reply(frames.unsubscribed(roomId, request.actor.userId));
});
