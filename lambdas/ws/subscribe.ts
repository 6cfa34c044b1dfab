import { followQueue, subscribe } from '../domain/connections.js';
import { frames } from '../protocol/frames.js';
import { checkedRoomId, subscriptionFrame } from '../protocol/schemas.js';
import { commandDeps } from '../runtime/command-deps.js';
import { sessionExpiresAt } from '../runtime/session.js';
import { wsRoute } from '../runtime/ws.js';

/**
 * `{"type":"subscribe","room_id":"…"}`: follows a room on this socket (customers their own rooms, staff any)
 * and answers with a `room` frame (`subscribed`) holding the room, so the client can catch up from its
 * `last_message_id`. `{"type":"subscribe","queue":true}` (staff): follows every open room's messages, typing
 * and read receipts, answered with `{"event":"subscribed","queue":true}`.
 */
export const handler = wsRoute(async (request) => {
  const frame = request.frame(subscriptionFrame);
  const socket = {
    connectionId: request.connectionId,
    connectedAt: request.connectedAt,
    sessionExpiresAt: sessionExpiresAt(request.event),
  };
  if (frame.queue) {
    await followQueue(commandDeps, request.actor, socket);
    await request.reply(frames.queue('subscribed', request.actor.userId));
    return;
  }
  const room = await subscribe(commandDeps, request.actor, {
    ...socket,
    roomId: checkedRoomId(frame.room_id ?? ''),
  });
  await request.reply(frames.room('subscribed', room, request.actor.userId));
});
