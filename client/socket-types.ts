import type { BackoffOptions } from './backoff.js';
import type { ChatError } from './errors.js';
import type { ChatHttp } from './http.js';
import type { PendingSend } from './outbox.js';
import type { SubscriptionOptions } from './subscription.js';
import type { ConnectionState, SocketAuth, WebSocketFactory } from './transport.js';
import type {
  Message,
  PresenceData,
  QueueEventData,
  ReadReceiptData,
  RoomEventData,
  RoomSummary,
  TypingData,
} from './wire.js';

// The options and events of ChatSocket, apart from it so that its parts (followed-room.ts) share them.

export interface ChatSocketOptions {
  /** The WebSocket API's URL, e.g. `wss://abc.execute-api.eu-west-1.amazonaws.com/prod`. */
  readonly url: string;
  /** Used to catch up on history after every (re)connect. */
  readonly http: ChatHttp;
  /**
   * Called before every connection attempt, so each reconnect gets a fresh token or ticket.
   * See {@link ticketAuth} and {@link tokenAuth}.
   */
  readonly auth: () => Promise<SocketAuth>;
  /** @default globalThis.WebSocket (Node 20 has none: pass `ws`'s `WebSocket`) */
  readonly WebSocket?: WebSocketFactory;
  /**
   * Ping interval, below API Gateway's 10-minute idle cut and the server's 75 s presence window.
   * @default 30_000
   */
  readonly heartbeatMs?: number;
  /** A ping without any frame back for this long means the connection is dead. @default 20_000 */
  readonly pongTimeoutMs?: number;
  /** A send without an ack for this long means the connection is dead; it is resent after reconnecting. @default 15_000 */
  readonly ackTimeoutMs?: number;
  /** A subscribe (a room's or the staff queue's) without an answer for this long is sent again. @default 10_000 */
  readonly requestTimeoutMs?: number;
  /**
   * Attempts of a subscribe or a send before its promise rejects with `ChatTimeoutError`. A subscription
   * keeps trying after that while it is followed; a send is dropped. @default 5
   */
  readonly maxAttempts?: number;
  /** Delay before resending a subscribe or a send that failed or went unanswered (full jitter). */
  readonly retry?: BackoffOptions;
  /** A handshake that takes longer is abandoned. @default 15_000 */
  readonly connectTimeoutMs?: number;
  /** Reconnect delay: a random value in [0, min(maxMs, baseMs · 2^attempt)] (full jitter). */
  readonly backoff?: BackoffOptions;
  /** After this long without a keystroke, `is_typing: false` is sent. @default 3_000 */
  readonly typingIdleMs?: number;
  /** While typing goes on, `is_typing: true` is repeated this often so the other side's indicator stays. @default 3_000 */
  readonly typingRefreshMs?: number;
  /** A gap in message ids still open after this long is filled from history. @default 2_000 */
  readonly gapCheckMs?: number;
  /**
   * While a room is followed, its history is asked this often for anything newer than what was delivered
   * (a message whose push never came), one small request per room; `0` turns it off. @default 60_000
   */
  readonly roomCheckMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

export interface FollowOptions {
  /**
   * The newest message id the caller already has (from history it loaded). Everything after it is
   * delivered through `message` events, caught up from history if need be. Without it, only messages newer
   * than the room's newest at subscription time are delivered.
   */
  readonly after?: number;
}

export interface ChatSocketEvents {
  /** The connection's state changed; `retryInMs` is set while waiting to reconnect. */
  state: { readonly state: ConnectionState; readonly attempt: number; readonly retryInMs?: number };
  /** A message of a followed room, each exactly once (live or caught up), never one the caller already had. */
  message: Message;
  /**
   * An internal note in a followed room (staff sockets only): as pushed, with no catch-up or ordering of its
   * own (notes are numbered apart from messages; read them with `GET /rooms/{id}/notes/`).
   */
  note: Message;
  /** The queue of unacknowledged sends of a room changed. */
  outbox: { readonly roomId: string; readonly pending: readonly PendingSend[] };
  /** In a followed room. */
  typing: TypingData;
  /** In a followed room. */
  read_receipt: ReadReceiptData;
  /** A user came online or went offline: only frames newer than any taken before for that user. */
  presence: PresenceData;
  /**
   * Lifecycle (created, joined, left, closed) of a followed room, and this socket's own subscribed /
   * unsubscribed. Staff hear of the other rooms through `queue_rooms`.
   */
  room: RoomEventData;
  /**
   * The staff queue's subscription was confirmed (after {@link ChatSocket.followQueue} and again after every
   * reconnect: refresh whatever the queue showed, summaries made while disconnected are lost) or ended.
   */
  queue: QueueEventData;
  /**
   * Rooms of the staff queue that changed (created, message, read, joined, left, closed, typing), from one
   * `queue` frame, one per room: none older (`version`) than one before it of its room, so a late retried
   * batch never rolls a room back. One at the same version (the same frame delivered again) carries the
   * same room. A summary with `status: "closed"` means the room left the queue.
   */
  queue_rooms: { readonly rooms: readonly RoomSummary[] };
  /**
   * Who is typing in a room of the staff queue changed: a summary listed other users, or its list expired
   * (6 s after that summary, unless the room's next summary came first). `userIds` may include the socket's
   * own user.
   */
  queue_typing: { readonly roomId: string; readonly userIds: readonly string[] };
  /** A followed room is complete up to its newest message (after a subscribe, a reconnect or a gap). */
  synced: { readonly roomId: string; readonly lastMessageId: number };
  /**
   * Something went wrong that no pending call reports: an error frame, an API Gateway error frame, a
   * subscription that keeps failing (`ChatTimeoutError`, it is still being retried), a failed catch-up, a
   * failed auth, a malformed `queue` frame or summary (`invalid_frame`: the rest of the frame is kept).
   */
  error: ChatError;
}

/** The timeouts and retries of a subscription, from the socket's options. */
export function subscriptionOptions(options: ChatSocketOptions): SubscriptionOptions {
  return {
    timeoutMs: options.requestTimeoutMs,
    maxAttempts: options.maxAttempts,
    retry: options.retry,
    random: options.random,
  };
}
