import { Emitter } from './emitter.js';
import { routeError } from './error-routing.js';
import { ChatClosedError, ChatError, type ChatGatewayError, ChatSocketError } from './errors.js';
import { FollowedRoom, type RoomHost } from './followed-room.js';
import { readFrame } from './frames.js';
import { newClientMessageId, type PendingSend } from './outbox.js';
import { PresenceBook } from './presence.js';
import {
  type ChatSocketEvents,
  type ChatSocketOptions,
  type FollowOptions,
  subscriptionOptions,
} from './socket-types.js';
import { StaffQueue } from './staff-queue.js';
import { type ConnectionState, Transport, type WebSocketFactory } from './transport.js';
import type { ErrorData, Message, QueueEventData, Room, RoomEventData, ServerFrame } from './wire.js';

export { newClientMessageId, type PendingSend } from './outbox.js';
export type { ChatSocketEvents, ChatSocketOptions, FollowOptions } from './socket-types.js';
export {
  type ConnectionState,
  type SocketAuth,
  ticketAuth,
  tokenAuth,
  type WebSocketFactory,
  type WebSocketLike,
} from './transport.js';

/**
 * One WebSocket for everything a person follows, kept alive across dropped connections. It composes a
 * {@link Transport} (the socket, heartbeat, reconnects), one {@link FollowedRoom} per followed room (its
 * subscription, the pure room sync of `room-sync.ts`, its outbox of sends, acks and retries), the
 * {@link StaffQueue} and its {@link QueueSummaries}, and the pure routing of error frames (`error-routing.ts`).
 *
 * - `follow(roomId)` subscribes (again after every reconnect) and, after each subscription, catches up the
 *   room from its last delivered message id through the history endpoint: `message` events deliver every
 *   message once, whether it came live, late, or while the socket was down.
 * - `followQueue()` (staff) subscribes to the staff queue, now and after every reconnect: about once a
 *   second, one summary of every room that changed (`queue_rooms`, `queue_typing`), instead of its frames.
 * - `send()` gives each message a `client_message_id` and resolves with the stored message when its `ack`
 *   arrives. One message per room is in flight at a time (the server may handle frames of one socket
 *   concurrently); the rest wait in order. Sends made while disconnected wait too, and an unacknowledged
 *   send is resent with the same id after a reconnect, which the server stores once.
 * - Nothing awaited waits forever: subscribes and sends are retried with backoff when unanswered, refused
 *   as retryable, or answered by one of API Gateway's own error frames, and reject with `ChatTimeoutError`
 *   after `maxAttempts`.
 *
 * @example
 * const socket = new ChatSocket({ url: config.webSocketUrl, http, auth: ticketAuth(http) });
 * socket.on('message', (m) => render(m));
 * socket.connect();
 * await socket.follow(room.id, { after: history.at(-1)?.id ?? 0 });
 * await socket.send(room.id, 'Hello!');
 */
export class ChatSocket {
  private readonly options: ChatSocketOptions;
  private readonly transport: Transport;
  private readonly events = new Emitter<ChatSocketEvents>();
  private readonly rooms = new Map<string, FollowedRoom>();
  private readonly host: RoomHost;
  private readonly queue: StaffQueue;
  /**
   * Who is online, from the presence frames this socket received (the newest per user) and whatever HTTP
   * readings the page adds with `takeSnapshot`; `presence` events carry only the frames it took.
   */
  readonly presence = new PresenceBook();
  /** This socket's user, as the server names it in its `subscribed` answers. */
  private userId: string | undefined;
  private closed = false;
  private readonly onOnline = () => this.reconnectNow();

  constructor(options: ChatSocketOptions) {
    this.options = options;
    this.host = this.makeHost();
    this.queue = new StaffQueue(
      {
        write: (frame) => this.transport.write(frame),
        probe: () => this.transport.probe(),
        error: (error) => this.emit('error', error),
        event: (data) => this.emit('queue', data),
        rooms: (rooms) => this.emit('queue_rooms', { rooms }),
        typing: (roomId, userIds) => this.emit('queue_typing', { roomId, userIds }),
      },
      subscriptionOptions(options),
    );
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketFactory }).WebSocket;
    if (!impl) throw new Error('No WebSocket implementation: pass options.WebSocket (e.g. the ws package)');
    this.transport = new Transport(
      { ...options, WebSocket: impl },
      {
        open: () => this.onOpen(),
        frame: (data) => this.onFrame(data),
        lost: () => this.onLost(),
        state: (event) => this.emit('state', event),
        error: (error) => this.emit('error', error),
      },
    );
  }

  get state(): ConnectionState {
    return this.transport.state;
  }

  /** Listens to an event; returns a function that stops listening. */
  on<K extends keyof ChatSocketEvents>(type: K, listener: (event: ChatSocketEvents[K]) => void): () => void {
    return this.events.on(type, listener);
  }

  /** Starts connecting; reconnects on its own from then on, until {@link close}. */
  connect(): void {
    if (this.transport.state !== 'idle') return;
    (globalThis as { addEventListener?: (type: string, fn: () => void) => void }).addEventListener?.(
      'online',
      this.onOnline,
    );
    this.transport.connect();
  }

  /**
   * Skips the remaining backoff delay (e.g. when the browser says it is online again, or the page becomes
   * visible). While open, checks the connection at once instead: a ping that must be answered within
   * `pongTimeoutMs`, so a socket that died silently (a laptop's sleep, a network change) is replaced now.
   */
  reconnectNow(): void {
    this.transport.reconnectNow();
  }

  /**
   * Follows a room on this socket, now and after every reconnect. Resolves with the room when the first
   * subscription is confirmed; rejects if the server refuses it (e.g. `room_not_found`), with
   * `ChatTimeoutError` after `maxAttempts` unanswered or failed attempts (the room stays followed and the
   * subscribe is still retried: {@link unfollow} stops it), and with {@link ChatClosedError} once the socket
   * is closed.
   */
  follow(roomId: string, options: FollowOptions = {}): Promise<Room> {
    if (this.closed) return Promise.reject(new ChatClosedError());
    let room = this.rooms.get(roomId);
    if (!room) {
      room = new FollowedRoom(roomId, options.after, this.host);
      this.rooms.set(roomId, room);
      room.subscription.request();
    } else {
      room.startAfter(options.after);
    }
    const followed = room;
    if (followed.subscription.confirmed && followed.snapshot) return Promise.resolve(followed.snapshot);
    return followed.subscription.wait().then(() => followed.snapshot as Room);
  }

  /** Stops following a room; its unsent messages are rejected with {@link ChatClosedError}. */
  unfollow(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    this.rooms.delete(roomId);
    if (room.subscription.requested) this.transport.write({ type: 'unsubscribe', room_id: roomId });
    room.dispose(new ChatClosedError(`Room ${roomId} is no longer followed`));
  }

  /** Rooms this socket follows. */
  followedRooms(): string[] {
    return [...this.rooms.keys()];
  }

  /** Whether this socket follows the room (from {@link follow} until {@link unfollow} or a refusal). */
  follows(roomId: string): boolean {
    return this.rooms.has(roomId);
  }

  /**
   * Follows the staff queue (staff only), now and after every reconnect: the server then sends, about once a
   * second, one summary of every room that changed (created, message, read, joined, left, closed, typing),
   * emitted as `queue_rooms` (never an older version) and `queue_typing`, and no longer a room's `message`,
   * `typing`, `read_receipt` or `room` frames unless that room is followed too (which keeps its
   * exactly-once, caught-up delivery). Summaries are not caught up after a reconnect: on each `queue` event
   * `subscribed`, refresh from `GET /api/chat/active-rooms` and keep, per room, the higher `version`.
   * Sending, typing and reading in a room need {@link follow}.
   *
   * Resolves when the server confirms; rejects with a {@link ChatSocketError} if it refuses (`staff_only`),
   * with `ChatTimeoutError` after `maxAttempts` failed attempts (it is still retried while followed), or
   * with {@link ChatClosedError} if the socket is closed or the queue unfollowed first.
   */
  followQueue(): Promise<void> {
    if (this.closed) return Promise.reject(new ChatClosedError());
    return this.queue.follow();
  }

  /** Stops following the staff queue (every queue typing list ends); followed rooms are not affected. */
  unfollowQueue(): void {
    this.queue.unfollow();
  }

  /** Whether {@link followQueue} is in force (confirmed or not). */
  followsQueue(): boolean {
    return this.queue.followed;
  }

  /** Unacknowledged sends of a room, oldest first (the one in flight included). */
  pending(roomId: string): PendingSend[] {
    return this.rooms.get(roomId)?.outbox.pending() ?? [];
  }

  /**
   * Sends a message to a followed room and resolves with the stored message once the server acknowledges
   * it. While disconnected the message waits and is sent after reconnecting; a duplicate ack (the server
   * already had this id) resolves the same way. Rejects with a {@link ChatSocketError} carrying the server's
   * refusal (`room_closed`, `invalid_request`, ...), or with `ChatTimeoutError` after `maxAttempts` writes
   * without an ack.
   */
  send(roomId: string, content: string, clientMessageId: string = newClientMessageId()): Promise<Message> {
    const room = this.rooms.get(roomId);
    if (!room) return Promise.reject(new ChatError('not_following', `Follow room ${roomId} before sending`));
    if (this.closed) return Promise.reject(new ChatClosedError());
    this.stopTyping(roomId);
    return room.outbox.send(content, clientMessageId);
  }

  /**
   * Call on every keystroke in a room's composer: sends `is_typing: true` at once (and again every few
   * seconds while typing goes on) and `is_typing: false` after a pause. Ephemeral: nothing is queued
   * while disconnected.
   */
  typing(roomId: string): void {
    this.rooms.get(roomId)?.typing();
  }

  /** Says the user stopped typing (sending a message does this itself). */
  stopTyping(roomId: string): void {
    this.rooms.get(roomId)?.stopTyping();
  }

  /**
   * Marks a room read up to `messageId`. Only forward moves are sent, coalesced, and the newest one waits
   * for a reconnect if need be. The room then gets a `read_receipt`.
   */
  markRead(roomId: string, messageId: number): void {
    this.rooms.get(roomId)?.markRead(messageId);
  }

  /** Closes the socket for good: no reconnect; unsent messages are rejected with {@link ChatClosedError}. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    (globalThis as { removeEventListener?: (type: string, fn: () => void) => void }).removeEventListener?.(
      'online',
      this.onOnline,
    );
    for (const room of this.rooms.values()) room.dispose(new ChatClosedError());
    this.rooms.clear();
    this.queue.dispose(new ChatClosedError());
    this.transport.close();
  }

  // -------------------------------------------------------------------------------------------------------
  // Connection

  private onOpen(): void {
    this.queue.opened();
    for (const room of this.rooms.values()) room.subscription.request();
  }

  /** The socket is gone: subscriptions are void, sends in flight go again after reconnecting. */
  private onLost(): void {
    this.queue.lost();
    for (const room of this.rooms.values()) room.lost();
  }

  /** What each followed room needs from this socket. */
  private makeHost(): RoomHost {
    return {
      http: this.options.http,
      options: this.options,
      write: (frame) => this.transport.write(frame),
      probe: () => this.transport.probe(),
      drop: () => this.transport.drop(),
      isCurrent: (room) => this.rooms.get(room.id) === room,
      deliver: (message) => this.emit('message', message),
      synced: (roomId, lastMessageId) => this.emit('synced', { roomId, lastMessageId }),
      outbox: (roomId, pending) => this.emit('outbox', { roomId, pending }),
      error: (error) => this.emit('error', error),
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Frames

  private onFrame(data: unknown): void {
    const incoming = readFrame(data);
    if (incoming.kind === 'gateway_error') this.onGatewayError(incoming.error);
    else if (incoming.kind === 'invalid') this.emit('error', incoming.error);
    else if (incoming.kind === 'frame') {
      // A frame with malformed parts is said so, and what is well-formed in it still taken.
      if (incoming.invalid) this.emit('error', incoming.invalid);
      this.handle(incoming.frame);
    }
  }

  private handle(frame: ServerFrame): void {
    switch (frame.type) {
      case 'pong':
        return;
      case 'message':
        this.onMessage(frame.data);
        return;
      case 'note':
        this.emit('note', frame.data);
        return;
      case 'ack':
        // A note's ack carries `note`, not `message` (a raw note frame; this client sends notes over HTTP).
        if (frame.data.message) this.onAck(frame.data.message, frame.data.client_message_id);
        return;
      case 'room':
        this.onRoomFrame(frame.data);
        return;
      case 'typing':
        this.emit('typing', frame.data);
        return;
      case 'read_receipt':
        this.emit('read_receipt', frame.data);
        return;
      case 'presence':
        // A frame older than one already taken for its user (a late "offline") is not news.
        if (this.presence.takeFrame(frame.data)) this.emit('presence', frame.data);
        return;
      case 'queue':
        // A summary names its room's newest message: a followed room whose push was lost catches up now.
        for (const room of frame.data.rooms) this.rooms.get(room.id)?.learned(room.last_message_id);
        this.queue.summaries(frame.data.rooms);
        return;
      case 'error':
        this.onError(frame.data);
        return;
    }
  }

  private onRoomFrame(data: RoomEventData | QueueEventData): void {
    if ('queue' in data) {
      this.queue.answered(data);
      return;
    }
    if (data.event === 'subscribed') {
      this.onSubscribed(data.room, data.user_id);
    } else if (data.event === 'unsubscribed') {
      const room = this.rooms.get(data.room_id);
      if (room) {
        // The answer to an unsubscribe handled after a newer subscribe (unfollow, then follow again:
        // frames of a socket may run concurrently): the server dropped a room still followed.
        room.resubscribe();
        return;
      }
    } else {
      // Created, joined, left, closed: the room's newest id may be one this socket was never pushed.
      this.rooms.get(data.room_id)?.learned(data.room.last_message_id);
    }
    this.emit('room', data);
  }

  /**
   * API Gateway answered some frame itself (throttled, integration failed, forbidden), without saying which:
   * every request still awaiting its answer takes it as its own failure and is retried after a backoff.
   * Subscribes and sends are idempotent, so retrying one that did succeed costs a duplicate answer only.
   */
  private onGatewayError(error: ChatGatewayError): void {
    this.queue.failed(error);
    for (const room of this.rooms.values()) room.gatewayError(error);
    this.emit('error', error);
  }

  private onSubscribed(snapshot: Room, userId: string): void {
    const room = this.rooms.get(snapshot.id);
    if (!room) return;
    this.userId = userId;
    room.subscribed(snapshot);
  }

  /** Delivers a message of a followed room once (its watermark decides); other rooms' are not this socket's. */
  private accept(message: Message): void {
    this.rooms.get(message.room_id)?.accept(message);
  }

  /**
   * The server may push the room's `message` frame to the sender's own socket before the `ack`: a message of
   * this user with the in-flight send's `client_message_id` is that send stored, and settles it at once (so
   * it never shows both as sent and as "Sending…"); the ack that follows finds nothing in flight.
   */
  private onMessage(message: Message): void {
    this.accept(message);
    const room = this.rooms.get(message.room_id);
    if (room && this.userId !== undefined && message.sender_id === this.userId) {
      room.outbox.settle(message.client_message_id, message);
    }
  }

  private onAck(message: Message, clientMessageId: string | null): void {
    const room = this.rooms.get(message.room_id);
    if (!room) return;
    this.accept(message);
    room.outbox.settle(clientMessageId, message);
  }

  private onError(data: ErrorData): void {
    if (data.code === 'token_expired') {
      // The socket's session ended with its token: reconnect, which asks `auth` for a fresh token or ticket.
      // What was in flight stays pending and is sent again on the new socket.
      this.transport.drop();
      return;
    }
    const error = new ChatSocketError(
      data.code,
      data.message,
      data.frame_type,
      data.room_id,
      data.client_message_id,
      data.retry_after,
    );
    const route = routeError(data, {
      queueRequested: this.queue.requested,
      inFlight: (roomId) => {
        const room = this.rooms.get(roomId);
        return room ? (room.outbox.inFlightId() ?? null) : undefined;
      },
    });
    const room = 'roomId' in route ? this.rooms.get(route.roomId) : undefined;
    // A retried failure is the request's own business; a final one is also reported.
    if (route.to === 'queue') {
      if (route.retry) {
        this.queue.failed(error);
        return;
      }
      this.queue.refused(error);
    } else if (route.to === 'subscribe' && room) {
      if (route.retry) {
        room.subscription.failed(error);
        return;
      }
      // The room does not exist for this user (or no longer): stop following it.
      this.rooms.delete(room.id);
      room.dispose(error);
    } else if (route.to === 'resubscribe' && room) {
      room.outbox.requeue(data.client_message_id);
      room.resubscribe();
      return;
    } else if (route.to === 'send' && room) {
      room.outbox.fail(error, route.clientMessageId);
      return;
    }
    this.emit('error', error);
  }

  private emit<K extends keyof ChatSocketEvents>(type: K, event: ChatSocketEvents[K]): void {
    this.events.emit(type, event);
  }
}
