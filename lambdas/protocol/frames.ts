import type { RoomEvent } from '../domain/ports.js';
import type { Actor, Message, RoomView } from '../domain/types.js';
import { messageJson, type queueSummaryJson, roomJson } from './json.js';

/**
 * Server-to-client frames. Every frame is `{"type": ..., "data": {...}}`; `message`, `typing`,
 * `read_receipt`, `presence` and `error` keep the original service's names and fields.
 */
export type Frame = { readonly type: string; readonly data: Record<string, unknown> };

export const frames = {
  message: (message: Message): Frame => ({ type: 'message', data: { ...messageJson(message) } }),

  /** Answers the sender of a `message` frame: the stored message, and whether this send stored it. */
  ack: (message: Message, duplicate: boolean): Frame => ({
    type: 'ack',
    data: { client_message_id: message.clientMessageId, duplicate, message: messageJson(message) },
  }),

  typing: (roomId: string, actor: Actor, isTyping: boolean): Frame => ({
    type: 'typing',
    data: { room_id: roomId, user_id: actor.userId, role: actor.role, is_typing: isTyping },
  }),

  readReceipt: (roomId: string, actor: Actor, messageId: number, readAt: string): Frame => ({
    type: 'read_receipt',
    data: {
      room_id: roomId,
      user_id: actor.userId,
      role: actor.role,
      message_id: messageId,
      read_at: readAt,
    },
  }),

  presence: (actor: Actor, isOnline: boolean): Frame => ({
    type: 'presence',
    data: { user_id: actor.userId, role: actor.role, is_online: isOnline },
  }),

  /** Room lifecycle: created, joined, left, closed; and subscribed / unsubscribed for the socket itself. */
  room: (event: RoomEvent | 'subscribed' | 'unsubscribed', room: RoomView, userId: string): Frame => ({
    type: 'room',
    data: { event, room_id: room.id, user_id: userId, room: roomJson(room) },
  }),

  unsubscribed: (roomId: string, userId: string): Frame => ({
    type: 'room',
    data: { event: 'unsubscribed', room_id: roomId, user_id: userId },
  }),

  /** What changed in the open rooms since this socket's previous `queue` frame, one summary per room. */
  queueSummaries: (summaries: readonly ReturnType<typeof queueSummaryJson>[]): Frame => ({
    type: 'queue',
    data: { rooms: summaries },
  }),

  /** Answers a socket that started or stopped following the staff queue. */
  queue: (event: 'subscribed' | 'unsubscribed', userId: string): Frame => ({
    type: 'room',
    data: { event, queue: true, user_id: userId },
  }),

  pong: (at: string): Frame => ({ type: 'pong', data: { time: at } }),

  error: (code: string, message: string, context: Record<string, unknown> = {}): Frame => ({
    type: 'error',
    data: { code, message, ...context },
  }),
} as const;
