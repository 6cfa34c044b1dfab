import { RETRYABLE_CODES } from './outbox.js';
import type { ErrorData } from './wire.js';

/** Which request an `error` frame answers, and what becomes of it. */
export type ErrorRoute =
  /** The staff queue's subscribe failed; try again. */
  | { readonly to: 'queue'; readonly retry: boolean }
  /** A room's subscribe failed (`retry`), or was refused: the room is not there for this user. */
  | { readonly to: 'subscribe'; readonly roomId: string; readonly retry: boolean }
  /** The server lost the room's subscription: subscribe again, then resend. */
  | { readonly to: 'resubscribe'; readonly roomId: string }
  /** The room's send in flight failed (retried by the outbox if `code` is retryable). */
  | { readonly to: 'send'; readonly roomId: string; readonly clientMessageId: string }
  /** Nothing awaits it (a refused `typing` or `read`, an unknown room): reported as an `error` event. */
  | { readonly to: 'nobody' };

/** What the socket knows when an error frame comes. */
export interface ErrorContext {
  /** A queue subscribe may be on the server or on its way. */
  readonly queueRequested: boolean;
  /** The `client_message_id` in flight in a followed room; null if the room is followed with nothing in flight. */
  inFlight(roomId: string): string | null | undefined;
}

/**
 * Routes an `error` frame to the request it answers, from the fields the server echoes (`frame_type`,
 * `room_id`, `client_message_id`). Pure, so the table of cases is tested as a table.
 */
export function routeError(data: ErrorData, context: ErrorContext): ErrorRoute {
  const retry = RETRYABLE_CODES.has(data.code);
  // Only the queue's subscribe has no room_id.
  if (data.frame_type === 'subscribe' && data.room_id === undefined) {
    return context.queueRequested ? { to: 'queue', retry } : { to: 'nobody' };
  }
  if (data.room_id === undefined) return { to: 'nobody' };
  const inFlight = context.inFlight(data.room_id);
  if (inFlight === undefined) return { to: 'nobody' };
  if (data.frame_type === 'subscribe') return { to: 'subscribe', roomId: data.room_id, retry };
  // It expired, was cleaned up, or an unsubscribe was handled after a newer subscribe.
  if (data.code === 'not_subscribed') return { to: 'resubscribe', roomId: data.room_id };
  if (data.client_message_id !== undefined && data.client_message_id === inFlight) {
    return { to: 'send', roomId: data.room_id, clientMessageId: data.client_message_id };
  }
  return { to: 'nobody' };
}
