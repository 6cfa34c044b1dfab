import { unfollowQueue, unsubscribe } from '../domain/connections.js';
import { frames } from '../protocol/frames.js';
import { checkedRoomId, subscriptionFrame } from '../protocol/schemas.js';
import { commandDeps } from '../runtime/command-deps.js';
import { wsRoute } from '../runtime/ws.js';

/** `{"type":"unsubscribe","room_id":"…"}` or `{"type":"unsubscribe","queue":true}`: stops following. */
export const handler = wsRoute(async (request) => {
  const frame = request.frame(subscriptionFrame);
  if (frame.queue) {
    await unfollowQueue(commandDeps, request.connectionId);
    await request.reply(frames.queue('unsubscribed', request.actor.userId));
    return;
  }
  const roomId = checkedRoomId(frame.room_id ?? '');
  await unsubscribe(commandDeps, roomId, request.connectionId);
  await request.reply(frames.unsubscribed(roomId, request.actor.userId));
});
