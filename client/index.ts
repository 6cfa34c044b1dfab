export {
  ChatApiError,
  ChatClosedError,
  ChatError,
  ChatNetworkError,
  ChatSocketError,
  type FieldIssue,
} from './errors.js';
export {
  ChatHttp,
  type ChatHttpOptions,
  type HistoryOptions,
  type PageOptions,
  type SendResult,
} from './http.js';
export { isNewer, PresenceBook, type PresenceEntry, type PresenceSnapshot } from './presence.js';
export { DISPLAY_NAME_MAX_CHARS, ensureDisplayName } from './profile.js';
export { isNewer as isNewerVersion, isStale, QUEUE_TYPING_MS, summaryRoom } from './queue-summaries.js';
export {
  ChatSocket,
  type ChatSocketEvents,
  type ChatSocketOptions,
  type ConnectionState,
  type FollowOptions,
  newClientMessageId,
  type PendingSend,
  type SocketAuth,
  ticketAuth,
  tokenAuth,
  type WebSocketFactory,
  type WebSocketLike,
} from './socket.js';
export type * from './wire.js';
