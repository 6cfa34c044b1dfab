import { subscribe } from '../domain/chat.js';
import { frames } from '../protocol/frames.js';
import { subscriptionFrame } from '../protocol/schemas.js';
import { commandDeps } from '../runtime/command-deps.js';
import { checkedRoomId, wsRoute } from '../runtime/ws.js';

/**
 * `{"type":"subscribe","room_id":"…"}`: follows a room on this socket (customers their own rooms, staff any)
 * and answers with a `room` frame (`subscribed`) holding the room, so the client can catch up from its
 * `last_message_id`.
 */
export const handler = wsRoute(async (request) => {
  const { room_id } = request.frame(subscriptionFrame);
  const room = await subscribe(commandDeps, request.actor, {
    roomId: checkedRoomId(room_id),
    connectionId: request.connectionId,
    connectedAt: request.connectedAt,
  });
  await request.reply(frames.room('subscribed', room, request.actor.userId));
});
