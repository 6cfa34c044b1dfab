import { ChatClosedError, ChatError, ChatSocketError } from './errors.js';
import type { ChatHttp } from './http.js';
import type {
  ClientFrame,
  ErrorData,
  Message,
  PresenceData,
  QueueEventData,
  ReadReceiptData,
  Room,
  RoomEventData,
  ServerFrame,
  TypingData,
} from './wire.js';

/** How a connection proves who it is: a JWT, or a one-time ticket from `POST /api/chat/ws-ticket`. */
export type SocketAuth = { readonly token: string } | { readonly ticket: string };

/** The part of the WHATWG `WebSocket` the client uses; browsers, Node 22 and the `ws` package provide it. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = new (url: string) => WebSocketLike;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

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
  /** Ping interval, below API Gateway's 10-minute idle cut. @default 300_000 */
  readonly heartbeatMs?: number;
  /** A ping without a pong for this long means the connection is dead. @default 20_000 */
  readonly pongTimeoutMs?: number;
  /** A send without an ack for this long means the connection is dead; it is resent after reconnecting. @default 15_000 */
  readonly ackTimeoutMs?: number;
  /** A handshake that takes longer is abandoned. @default 15_000 */
  readonly connectTimeoutMs?: number;
  /** Reconnect delay: a random value in [0, min(maxMs, baseMs · 2^attempt)] (full jitter). */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** After this long without a keystroke, `is_typing: false` is sent. @default 3_000 */
  readonly typingIdleMs?: number;
  /** While typing goes on, `is_typing: true` is repeated this often so the other side's indicator stays. @default 3_000 */
  readonly typingRefreshMs?: number;
  /** A gap in message ids still open after this long is filled from history. @default 2_000 */
  readonly gapCheckMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

/** A message the client has accepted but the server has not acknowledged yet. */
export interface PendingSend {
  readonly roomId: string;
  readonly clientMessageId: string;
  readonly content: string;
  /** Epoch ms of the `send()` call. */
  readonly queuedAt: number;
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
  /**
   * A message of a followed room, each exactly once (live or caught up), never one the caller already had.
   * While the staff queue is followed, also the live messages of every other room: deduped, but neither
   * caught up nor ordered (enough for previews and unread counts).
   */
  message: Message;
  /** The queue of unacknowledged sends of a room changed. */
  outbox: { readonly roomId: string; readonly pending: readonly PendingSend[] };
  typing: TypingData;
  read_receipt: ReadReceiptData;
  presence: PresenceData;
  /** Room lifecycle (created, joined, left, closed) and this socket's own subscribed / unsubscribed. */
  room: RoomEventData;
  /**
   * The staff queue's subscription was confirmed (after {@link ChatSocket.followQueue} and again after every
   * reconnect: refresh whatever the queue showed, frames sent while disconnected are lost) or ended.
   */
  queue: QueueEventData;
  /** A followed room is complete up to its newest message (after a subscribe, a reconnect or a gap). */
  synced: { readonly roomId: string; readonly lastMessageId: number };
  /** Something went wrong that no pending call reports: an error frame, a failed catch-up, a failed auth. */
  error: ChatError;
}

type Listener<T> = (event: T) => void;

interface SendItem extends PendingSend {
  resolve(message: Message): void;
  reject(error: Error): void;
  attempts: number;
}

interface FollowedRoom {
  readonly id: string;
  /** Subscribed on the current socket. */
  subscribed: boolean;
  subscribeSent: boolean;
  /** Every id up to here has been delivered (or is a confirmed hole); undefined until known. */
  resolved: number | undefined;
  /** Delivered ids above `resolved`. */
  readonly seen: Set<number>;
  /** Ids history showed missing once; a second miss makes them a confirmed hole. */
  readonly suspected: Set<number>;
  /** Confirmed holes: accepted should they ever show up after all. */
  readonly skipped: Set<number>;
  readonly queue: SendItem[];
  inFlight: { item: SendItem; timer: ReturnType<typeof setTimeout> } | undefined;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  readWanted: number;
  readSent: number;
  typingActive: boolean;
  typingSentAt: number;
  typingTimer: ReturnType<typeof setTimeout> | undefined;
  catchingUp: boolean;
  catchUpAgain: boolean;
  catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  gapTimer: ReturnType<typeof setTimeout> | undefined;
  readonly waiters: { resolve(room: Room): void; reject(error: Error): void }[];
  /** The room as the last subscription confirmed it. */
  snapshot: Room | undefined;
  /** Messages that came (through the queue, or ahead of the answer) before the first subscription's answer. */
  readonly early: Message[];
}

const OPEN = 1;
/** How many `room_id#id` keys of delivered messages are kept to drop a queue-only room's duplicates. */
const DELIVERED_KEYS = 5_000;

/** Makes a `client_message_id` (the server accepts 1 to 64 of `[A-Za-z0-9_.:-]`). */
export function newClientMessageId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `c-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Authenticates every connection with a fresh one-time ticket: no long-lived JWT in a URL. */
export function ticketAuth(http: ChatHttp): () => Promise<SocketAuth> {
  return async () => ({ ticket: (await http.createWsTicket()).ticket });
}

/** Authenticates every connection with the current JWT (`?token=`), as the original clients did. */
export function tokenAuth(getToken: () => string | Promise<string>): () => Promise<SocketAuth> {
  return async () => ({ token: await getToken() });
}

/**
 * One WebSocket for everything a person follows, kept alive across dropped connections.
 *
 * - `follow(roomId)` subscribes (again after every reconnect) and, after each subscription, catches up the
 *   room from its last delivered message id through the history endpoint: `message` events deliver every
 *   message once, whether it came live, late, or while the socket was down.
 * - `followQueue()` (staff) subscribes to the staff queue, now and after every reconnect: the live messages,
 *   typing and read receipts of every room, followed or not, with one subscription.
 * - `send()` gives each message a `client_message_id` and resolves with the stored message when its `ack`
 *   arrives. One message per room is in flight at a time (the server may handle frames of one socket
 *   concurrently); the rest wait in order. Sends made while disconnected wait too, and an unacknowledged
 *   send is resent with the same id after a reconnect, which the server stores once.
 * - A ping every 5 minutes keeps API Gateway's idle cut away and finds dead connections; reconnects back
 *   off exponentially with full jitter.
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
  private readonly WebSocketImpl: WebSocketFactory;
  private readonly listeners = new Map<keyof ChatSocketEvents, Set<Listener<never>>>();
  private readonly rooms = new Map<string, FollowedRoom>();
  /** Between followQueue() and unfollowQueue(). */
  private queueWanted = false;
  /** The queue's subscription is confirmed on the current socket. */
  private queueSubscribed = false;
  private queueSubscribeSent = false;
  private readonly queueWaiters: { resolve(): void; reject(error: Error): void }[] = [];
  /** `room_id#id` of delivered messages, oldest first: a message of a queue-only room is emitted once. */
  private readonly delivered = new Set<string>();
  /** This socket's user, as the server names it in its `subscribed` answers. */
  private userId: string | undefined;
  private ws: WebSocketLike | undefined;
  private stateValue: ConnectionState = 'idle';
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onOnline = () => this.reconnectNow();

  constructor(options: ChatSocketOptions) {
    this.options = options;
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketFactory }).WebSocket;
    if (!impl) throw new Error('No WebSocket implementation: pass options.WebSocket (e.g. the ws package)');
    this.WebSocketImpl = impl;
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  private isClosed(): boolean {
    return this.stateValue === 'closed';
  }

  /** Listens to an event; returns a function that stops listening. */
  on<K extends keyof ChatSocketEvents>(type: K, listener: Listener<ChatSocketEvents[K]>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Starts connecting; reconnects on its own from then on, until {@link close}. */
  connect(): void {
    if (this.stateValue !== 'idle') return;
    (globalThis as { addEventListener?: (type: string, fn: () => void) => void }).addEventListener?.(
      'online',
      this.onOnline,
    );
    void this.open();
  }

  /**
   * Skips the remaining backoff delay (e.g. when the browser says it is online again, or the page becomes
   * visible). While open, checks the connection at once instead: a ping that must be answered within
   * `pongTimeoutMs`, so a socket that died silently (a laptop's sleep, a network change) is replaced now.
   */
  reconnectNow(): void {
    if (this.stateValue === 'open') {
      this.probe();
      return;
    }
    if (this.reconnectTimer === undefined) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    void this.open();
  }

  /**
   * Follows a room on this socket, now and after every reconnect. Resolves with the room when the first
   * subscription is confirmed; rejects if the server refuses it (e.g. `room_not_found`), and with
   * {@link ChatClosedError} once the socket is closed.
   */
  follow(roomId: string, options: FollowOptions = {}): Promise<Room> {
    if (this.isClosed()) return Promise.reject(new ChatClosedError());
    let room = this.rooms.get(roomId);
    if (!room) {
      room = {
        id: roomId,
        subscribed: false,
        subscribeSent: false,
        resolved: options.after,
        seen: new Set(),
        suspected: new Set(),
        skipped: new Set(),
        queue: [],
        inFlight: undefined,
        retryTimer: undefined,
        readWanted: 0,
        readSent: 0,
        typingActive: false,
        typingSentAt: 0,
        typingTimer: undefined,
        catchingUp: false,
        catchUpAgain: false,
        catchUpTimer: undefined,
        gapTimer: undefined,
        waiters: [],
        snapshot: undefined,
        early: [],
      };
      this.rooms.set(roomId, room);
      this.subscribe(room);
    } else if (options.after !== undefined && room.resolved === undefined) {
      room.resolved = options.after;
    }
    if (room.subscribed && room.snapshot) return Promise.resolve(room.snapshot);
    const followed = room;
    return new Promise<Room>((resolve, reject) => followed.waiters.push({ resolve, reject }));
  }

  /** Stops following a room; its unsent messages are rejected with {@link ChatClosedError}. */
  unfollow(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    this.rooms.delete(roomId);
    if (room.subscribed || room.subscribeSent) this.write({ type: 'unsubscribe', room_id: roomId });
    this.dispose(room, new ChatClosedError(`Room ${roomId} is no longer followed`));
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
   * Follows the staff queue (staff only), now and after every reconnect: `message`, `typing` and
   * `read_receipt` events then come for every room, not only followed ones. Messages of rooms that are not
   * followed come live only (deduped by room and id; nothing is caught up after a reconnect: listen to the
   * `queue` event and refresh from `GET /api/chat/active-rooms`). Followed rooms keep their exactly-once,
   * caught-up delivery. Sending, typing and reading in a room still need {@link follow}.
   *
   * Resolves when the server confirms; rejects with a {@link ChatSocketError} if it refuses (`staff_only`),
   * or with {@link ChatClosedError} if the socket is closed or the queue unfollowed first.
   */
  followQueue(): Promise<void> {
    if (this.isClosed()) return Promise.reject(new ChatClosedError());
    if (!this.queueWanted) {
      this.queueWanted = true;
      this.subscribeQueue();
    }
    if (this.queueSubscribed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.queueWaiters.push({ resolve, reject }));
  }

  /** Stops following the staff queue; followed rooms are not affected. */
  unfollowQueue(): void {
    if (!this.queueWanted) return;
    this.queueWanted = false;
    if (this.queueSubscribed || this.queueSubscribeSent) this.write({ type: 'unsubscribe', queue: true });
    this.queueSubscribed = false;
    this.queueSubscribeSent = false;
    this.rejectQueueWaiters(new ChatClosedError('The staff queue is no longer followed'));
  }

  /** Whether {@link followQueue} is in force (confirmed or not). */
  followsQueue(): boolean {
    return this.queueWanted;
  }

  /** Unacknowledged sends of a room, oldest first (the one in flight included). */
  pending(roomId: string): PendingSend[] {
    const room = this.rooms.get(roomId);
    if (!room) return [];
    return [...(room.inFlight ? [room.inFlight.item] : []), ...room.queue].map(publicSend);
  }

  /**
   * Sends a message to a followed room and resolves with the stored message once the server acknowledges
   * it. While disconnected the message waits and is sent after reconnecting; a duplicate ack (the server
   * already had this id) resolves the same way. Rejects with a {@link ChatSocketError} the server's refusal
   * (`room_closed`, `invalid_request`, ...).
   */
  send(roomId: string, content: string, clientMessageId: string = newClientMessageId()): Promise<Message> {
    const room = this.rooms.get(roomId);
    if (!room) return Promise.reject(new ChatError('not_following', `Follow room ${roomId} before sending`));
    if (this.stateValue === 'closed') return Promise.reject(new ChatClosedError());
    this.stopTyping(roomId);
    return new Promise<Message>((resolve, reject) => {
      room.queue.push({
        roomId,
        clientMessageId,
        content,
        queuedAt: Date.now(),
        resolve,
        reject,
        attempts: 0,
      });
      this.emitOutbox(room);
      this.pump(room);
    });
  }

  /**
   * Call on every keystroke in a room's composer: sends `is_typing: true` at once (and again every few
   * seconds while typing goes on) and `is_typing: false` after a pause. Ephemeral: nothing is queued
   * while disconnected.
   */
  typing(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    const now = Date.now();
    const refreshMs = this.options.typingRefreshMs ?? 3_000;
    if (!room.typingActive || now - room.typingSentAt >= refreshMs) {
      if (this.writeForRoom(room, { type: 'typing', room_id: roomId, is_typing: true })) {
        room.typingActive = true;
        room.typingSentAt = now;
      }
    }
    clearTimeout(room.typingTimer);
    room.typingTimer = setTimeout(() => this.stopTyping(roomId), this.options.typingIdleMs ?? 3_000);
  }

  /** Says the user stopped typing (sending a message does this itself). */
  stopTyping(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    clearTimeout(room.typingTimer);
    room.typingTimer = undefined;
    if (!room.typingActive) return;
    room.typingActive = false;
    this.writeForRoom(room, { type: 'typing', room_id: roomId, is_typing: false });
  }

  /**
   * Marks a room read up to `messageId`. Only forward moves are sent, coalesced, and the newest one waits
   * for a reconnect if need be. The room then gets a `read_receipt`.
   */
  markRead(roomId: string, messageId: number): void {
    const room = this.rooms.get(roomId);
    if (!room || messageId <= room.readWanted) return;
    room.readWanted = messageId;
    this.flushRead(room);
  }

  /** Closes the socket for good: no reconnect; unsent messages are rejected with {@link ChatClosedError}. */
  close(): void {
    if (this.stateValue === 'closed') return;
    (globalThis as { removeEventListener?: (type: string, fn: () => void) => void }).removeEventListener?.(
      'online',
      this.onOnline,
    );
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const ws = this.ws;
    this.detach();
    ws?.close(1000, 'Client closed');
    for (const room of this.rooms.values()) this.dispose(room, new ChatClosedError());
    this.rooms.clear();
    this.queueWanted = false;
    this.rejectQueueWaiters(new ChatClosedError());
    this.setState('closed');
  }

  // -------------------------------------------------------------------------------------------------------
  // Connection

  private async open(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.setState(this.attempt === 0 && this.stateValue === 'idle' ? 'connecting' : 'reconnecting');
    let auth: SocketAuth;
    try {
      auth = await this.options.auth();
    } catch (error) {
      this.emit('error', asChatError(error, 'auth_failed'));
      this.scheduleReconnect();
      return;
    }
    // close() may have been called while waiting for the credentials.
    if (this.isClosed()) return;
    const url = new URL(this.options.url);
    if ('ticket' in auth) url.searchParams.set('ticket', auth.ticket);
    else url.searchParams.set('token', auth.token);
    let ws: WebSocketLike;
    try {
      ws = new this.WebSocketImpl(url.toString());
    } catch (error) {
      this.emit('error', asChatError(error, 'connect_failed'));
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.connectTimer = setTimeout(() => this.abandon(ws), this.options.connectTimeoutMs ?? 15_000);
    ws.onopen = () => {
      if (ws !== this.ws) return;
      clearTimeout(this.connectTimer);
      this.setState('open');
      this.startHeartbeat();
      // The first pong (or any frame) proves the connection works; only then is the backoff reset.
      this.write({ type: 'ping' });
      this.subscribeQueue();
      for (const room of this.rooms.values()) this.subscribe(room);
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(event.data)) as ServerFrame;
      } catch {
        return;
      }
      this.handle(frame);
    };
    ws.onclose = () => {
      if (ws !== this.ws) return;
      this.detach();
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      // A close event follows every error; reconnecting is decided there.
    };
  }

  /** Gives up on a socket that stopped answering, without waiting for a close handshake that may never come. */
  private abandon(ws: WebSocketLike): void {
    if (ws !== this.ws) return;
    this.detach();
    try {
      ws.close(4000, 'Unresponsive');
    } catch {
      // Already closing.
    }
    this.scheduleReconnect();
  }

  /** Forgets the current socket: rooms become unsubscribed and in-flight sends go back to their queues. */
  private detach(): void {
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onopen = null;
      ws.onmessage = null;
      ws.onclose = null;
      ws.onerror = null;
    }
    clearTimeout(this.connectTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.pongTimer);
    this.heartbeatTimer = undefined;
    this.pongTimer = undefined;
    this.queueSubscribed = false;
    this.queueSubscribeSent = false;
    for (const room of this.rooms.values()) {
      room.subscribed = false;
      room.subscribeSent = false;
      room.typingActive = false;
      clearTimeout(room.typingTimer);
      clearTimeout(room.retryTimer);
      clearTimeout(room.gapTimer);
      clearTimeout(room.catchUpTimer);
      room.retryTimer = undefined;
      if (room.inFlight) {
        clearTimeout(room.inFlight.timer);
        room.queue.unshift(room.inFlight.item);
        room.inFlight = undefined;
      }
      // Reads already sent may have been lost with the socket: send the newest again.
      room.readSent = 0;
    }
  }

  private scheduleReconnect(): void {
    if (this.stateValue === 'closed' || this.reconnectTimer !== undefined) return;
    const baseMs = this.options.backoff?.baseMs ?? 500;
    const maxMs = this.options.backoff?.maxMs ?? 30_000;
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(this.attempt, 20));
    const delay = Math.floor((this.options.random ?? Math.random)() * ceiling);
    this.attempt += 1;
    this.setState('reconnecting', delay);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.open();
    }, delay);
  }

  /** Pings now, unless a ping already waits for its pong; no pong in time drops the connection. */
  private probe(): void {
    const ws = this.ws;
    if (!ws || this.pongTimer !== undefined || !this.write({ type: 'ping' })) return;
    this.pongTimer = setTimeout(() => this.abandon(ws), this.options.pongTimeoutMs ?? 20_000);
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      const ws = this.ws;
      if (!ws || !this.write({ type: 'ping' })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.abandon(ws), this.options.pongTimeoutMs ?? 20_000);
    }, this.options.heartbeatMs ?? 300_000);
  }

  private setState(state: ConnectionState, retryInMs?: number): void {
    const changed = state !== this.stateValue || retryInMs !== undefined;
    this.stateValue = state;
    if (changed) {
      this.emit('state', { state, attempt: this.attempt, ...(retryInMs === undefined ? {} : { retryInMs }) });
    }
  }

  private write(frame: ClientFrame): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  private writeForRoom(room: FollowedRoom, frame: ClientFrame): boolean {
    return room.subscribed && this.write(frame);
  }

  // -------------------------------------------------------------------------------------------------------
  // Frames

  private handle(frame: ServerFrame): void {
    switch (frame.type) {
      case 'pong':
        clearTimeout(this.pongTimer);
        this.pongTimer = undefined;
        return;
      case 'message':
        this.onMessage(frame.data);
        return;
      case 'ack':
        this.onAck(frame.data.message, frame.data.client_message_id);
        return;
      case 'room':
        if ('queue' in frame.data) {
          this.onQueueEvent(frame.data);
          return;
        }
        if (frame.data.event === 'subscribed') this.onSubscribed(frame.data.room, frame.data.user_id);
        else if (frame.data.event === 'unsubscribed') {
          const room = this.rooms.get(frame.data.room_id);
          if (room) {
            // The answer to an unsubscribe handled after a newer subscribe (unfollow, then follow again:
            // frames of a socket may run concurrently): the server dropped a room still followed.
            this.resubscribe(room);
            return;
          }
        }
        this.emit('room', frame.data);
        return;
      case 'typing':
        this.emit('typing', frame.data);
        return;
      case 'read_receipt':
        this.emit('read_receipt', frame.data);
        return;
      case 'presence':
        this.emit('presence', frame.data);
        return;
      case 'error':
        this.onError(frame.data);
        return;
    }
  }

  private subscribe(room: FollowedRoom): void {
    if (room.subscribeSent) return;
    if (this.write({ type: 'subscribe', room_id: room.id })) room.subscribeSent = true;
  }

  /** The server no longer has the room's subscription: subscribe again, then send what it may have refused. */
  private resubscribe(room: FollowedRoom): void {
    room.subscribed = false;
    room.subscribeSent = false;
    room.readSent = 0;
    room.typingActive = false;
    clearTimeout(room.typingTimer);
    room.typingTimer = undefined;
    this.subscribe(room);
  }

  private subscribeQueue(): void {
    if (!this.queueWanted || this.queueSubscribeSent) return;
    if (this.write({ type: 'subscribe', queue: true })) this.queueSubscribeSent = true;
  }

  private onQueueEvent(data: QueueEventData): void {
    if (data.event === 'subscribed') {
      if (!this.queueWanted) {
        // An unsubscribe the server handled before this subscribe (frames of a socket may run concurrently).
        this.write({ type: 'unsubscribe', queue: true });
        return;
      }
      this.queueSubscribed = true;
      for (const waiter of this.queueWaiters.splice(0)) waiter.resolve();
    } else if (this.queueWanted) {
      // The answer to an earlier unsubscribe, handled after a newer subscribe: subscribe again.
      this.queueSubscribed = false;
      this.queueSubscribeSent = false;
      this.subscribeQueue();
      return;
    }
    this.emit('queue', data);
  }

  private rejectQueueWaiters(error: Error): void {
    for (const waiter of this.queueWaiters.splice(0)) waiter.reject(error);
  }

  private onSubscribed(snapshot: Room, userId: string): void {
    const room = this.rooms.get(snapshot.id);
    if (!room) return;
    this.userId = userId;
    room.subscribed = true;
    room.snapshot = snapshot;
    if (room.resolved === undefined) room.resolved = snapshot.last_message_id;
    // What came before the watermark was known: the ones after it are delivered, the rest dropped.
    for (const message of room.early.splice(0)) this.accept(message);
    for (const waiter of room.waiters.splice(0)) waiter.resolve(snapshot);
    if (snapshot.last_message_id > (room.resolved ?? 0) || room.seen.size > 0) this.catchUp(room);
    else this.emit('synced', { roomId: room.id, lastMessageId: room.resolved });
    this.flushRead(room);
    this.pump(room);
  }

  /**
   * Delivers a message once: ids at or below the watermark, or already seen above it, are dropped. A
   * message of a room that is not followed comes from the staff queue: delivered once per room and id.
   */
  private accept(message: Message): void {
    const room = this.rooms.get(message.room_id);
    if (!room) {
      if (this.queueWanted && this.remember(message)) this.emit('message', message);
      return;
    }
    if (room.resolved === undefined) {
      // Before the subscription's answer the watermark is unknown: wait for it.
      room.early.push(message);
      return;
    }
    const { id } = message;
    if (room.seen.has(id)) return;
    if (id <= room.resolved) {
      // Below the watermark only a confirmed hole that shows up after all is new: delivered, but kept out
      // of `seen`, which holds ids above the watermark only (one below it would keep the gap check alive).
      if (!room.skipped.delete(id)) return;
    } else {
      room.seen.add(id);
      room.suspected.delete(id);
      this.advance(room);
    }
    this.remember(message);
    this.emit('message', message);
    if (room.seen.size > 0 && room.gapTimer === undefined && room.subscribed) {
      room.gapTimer = setTimeout(() => {
        room.gapTimer = undefined;
        if (room.seen.size > 0) this.catchUp(room);
      }, this.options.gapCheckMs ?? 2_000);
    }
  }

  /** Records a delivered message; false if it was delivered already. */
  private remember(message: Message): boolean {
    const key = `${message.room_id}#${message.id}`;
    if (this.delivered.has(key)) return false;
    this.delivered.add(key);
    if (this.delivered.size > DELIVERED_KEYS) {
      const oldest = this.delivered.values().next().value;
      if (oldest !== undefined) this.delivered.delete(oldest);
    }
    return true;
  }

  private advance(room: FollowedRoom): void {
    let resolved = room.resolved ?? 0;
    while (room.seen.delete(resolved + 1)) resolved += 1;
    room.resolved = resolved;
    if (room.seen.size === 0) {
      clearTimeout(room.gapTimer);
      room.gapTimer = undefined;
    }
  }

  /**
   * Fetches everything after the watermark, page by page, and delivers what was not seen yet. An id that
   * history shows missing twice (a send that failed after taking its number) stops holding the watermark.
   */
  private catchUp(room: FollowedRoom): void {
    if (room.catchingUp) {
      room.catchUpAgain = true;
      return;
    }
    room.catchingUp = true;
    room.catchUpAgain = false;
    const run = async () => {
      let cursor = room.resolved ?? 0;
      for (;;) {
        const page = await this.options.http.listMessages(room.id, { after: cursor, limit: 100 });
        if (this.rooms.get(room.id) !== room) return;
        for (const message of page.results) this.accept(message);
        cursor = page.results.at(-1)?.id ?? cursor;
        if (!page.has_more) break;
      }
      for (let id = (room.resolved ?? 0) + 1; id <= cursor; id++) {
        if (room.seen.has(id)) continue;
        if (room.suspected.delete(id)) {
          room.seen.add(id);
          room.skipped.add(id);
        } else {
          room.suspected.add(id);
        }
      }
      this.advance(room);
      if (room.seen.size > 0 && !room.catchUpAgain) {
        room.catchUpTimer = setTimeout(() => this.catchUp(room), this.options.gapCheckMs ?? 2_000);
      }
    };
    run()
      .then(() => {
        room.catchingUp = false;
        if (this.rooms.get(room.id) !== room) return;
        if (room.catchUpAgain) this.catchUp(room);
        else if (room.seen.size === 0)
          this.emit('synced', { roomId: room.id, lastMessageId: room.resolved ?? 0 });
      })
      .catch((error: unknown) => {
        room.catchingUp = false;
        if (this.rooms.get(room.id) !== room) return;
        this.emit('error', asChatError(error, 'catch_up_failed'));
        // Try again while this socket lives; a reconnect catches up anyway.
        if (room.subscribed) {
          clearTimeout(room.catchUpTimer);
          room.catchUpTimer = setTimeout(() => this.catchUp(room), 3_000);
        }
      });
  }

  private pump(room: FollowedRoom): void {
    if (room.inFlight || !room.subscribed || room.retryTimer !== undefined) return;
    const item = room.queue[0];
    if (!item) return;
    const sent = this.write({
      type: 'message',
      room_id: room.id,
      content: item.content,
      client_message_id: item.clientMessageId,
    });
    if (!sent) return;
    room.queue.shift();
    item.attempts += 1;
    const ws = this.ws;
    const timer = setTimeout(() => {
      // No ack: treat the connection as dead; the message is resent, with the same id, after reconnecting.
      if (ws) this.abandon(ws);
    }, this.options.ackTimeoutMs ?? 15_000);
    room.inFlight = { item, timer };
  }

  /**
   * The server may push the room's `message` frame to the sender's own socket before the `ack`: a message of
   * this user with the in-flight send's `client_message_id` is that send stored, and settles it at once (so
   * it never shows both as sent and as "Sending…"); the ack that follows finds nothing in flight.
   */
  private onMessage(message: Message): void {
    this.accept(message);
    const room = this.rooms.get(message.room_id);
    const inFlight = room?.inFlight;
    if (
      room &&
      inFlight &&
      message.client_message_id !== null &&
      message.client_message_id === inFlight.item.clientMessageId &&
      this.userId !== undefined &&
      message.sender_id === this.userId
    ) {
      this.settle(room, message);
    }
  }

  private onAck(message: Message, clientMessageId: string | null): void {
    const room = this.rooms.get(message.room_id);
    if (!room) return;
    this.accept(message);
    if (room.inFlight?.item.clientMessageId !== clientMessageId) return;
    this.settle(room, message);
  }

  /** Resolves the send in flight with its stored message and sends the next one. */
  private settle(room: FollowedRoom, message: Message): void {
    const inFlight = room.inFlight;
    if (!inFlight) return;
    clearTimeout(inFlight.timer);
    room.inFlight = undefined;
    inFlight.item.resolve(message);
    this.emitOutbox(room);
    this.pump(room);
  }

  private onError(data: ErrorData): void {
    const error = new ChatSocketError(
      data.code,
      data.message,
      data.frame_type,
      data.room_id,
      data.client_message_id,
    );
    if (data.frame_type === 'subscribe' && data.room_id === undefined && this.queueSubscribeSent) {
      // Only the queue's subscribe has no room_id.
      this.queueSubscribeSent = false;
      if (data.code === 'internal_error' || data.code === 'throttled') {
        setTimeout(() => this.subscribeQueue(), 1_000);
        return;
      }
      this.queueWanted = false;
      this.rejectQueueWaiters(error);
      this.emit('error', error);
      return;
    }
    const room = data.room_id === undefined ? undefined : this.rooms.get(data.room_id);
    if (room && data.frame_type === 'subscribe') {
      room.subscribeSent = false;
      if (data.code === 'internal_error') {
        // Unless the room was unfollowed meanwhile (or followed again: that record subscribed itself).
        setTimeout(() => {
          if (this.rooms.get(room.id) === room) this.subscribe(room);
        }, 1_000);
        return;
      }
      // The room does not exist for this user (or no longer): stop following it.
      this.rooms.delete(room.id);
      this.dispose(room, error);
      this.emit('error', error);
      return;
    }
    if (room && data.code === 'not_subscribed') {
      // The server lost this socket's subscription (it expired, was cleaned up, or an unsubscribe was
      // handled after a newer subscribe).
      if (room.inFlight && room.inFlight.item.clientMessageId === data.client_message_id) {
        clearTimeout(room.inFlight.timer);
        room.queue.unshift(room.inFlight.item);
        room.inFlight = undefined;
      }
      this.resubscribe(room);
      return;
    }
    const inFlight = room?.inFlight;
    if (room && inFlight && data.client_message_id === inFlight.item.clientMessageId) {
      clearTimeout(inFlight.timer);
      room.inFlight = undefined;
      if ((data.code === 'internal_error' || data.code === 'throttled') && inFlight.item.attempts < 5) {
        // The send is idempotent: retry it, after a pause, with the same id.
        room.queue.unshift(inFlight.item);
        room.retryTimer = setTimeout(
          () => {
            room.retryTimer = undefined;
            this.pump(room);
          },
          500 * 2 ** inFlight.item.attempts,
        );
      } else {
        inFlight.item.reject(error);
        this.emitOutbox(room);
        this.pump(room);
      }
      return;
    }
    this.emit('error', error);
  }

  private flushRead(room: FollowedRoom): void {
    if (room.readWanted <= room.readSent) return;
    if (this.writeForRoom(room, { type: 'read', room_id: room.id, message_id: room.readWanted })) {
      room.readSent = room.readWanted;
    }
  }

  private dispose(room: FollowedRoom, error: Error): void {
    clearTimeout(room.typingTimer);
    clearTimeout(room.retryTimer);
    clearTimeout(room.gapTimer);
    clearTimeout(room.catchUpTimer);
    const items = [...(room.inFlight ? [room.inFlight.item] : []), ...room.queue];
    if (room.inFlight) clearTimeout(room.inFlight.timer);
    room.inFlight = undefined;
    room.queue.length = 0;
    room.early.length = 0;
    for (const item of items) item.reject(error);
    for (const waiter of room.waiters.splice(0)) waiter.reject(error);
    if (items.length > 0) this.emit('outbox', { roomId: room.id, pending: [] });
  }

  private emitOutbox(room: FollowedRoom): void {
    this.emit('outbox', { roomId: room.id, pending: this.pending(room.id) });
  }

  private emit<K extends keyof ChatSocketEvents>(type: K, event: ChatSocketEvents[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<ChatSocketEvents[K]>)(event);
      } catch (error) {
        // A listener's bug must not break delivery to the others or the socket's own bookkeeping.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}

function publicSend(item: SendItem): PendingSend {
  return {
    roomId: item.roomId,
    clientMessageId: item.clientMessageId,
    content: item.content,
    queuedAt: item.queuedAt,
  };
}

function asChatError(error: unknown, code: string): ChatError {
  if (error instanceof ChatError) return error;
  return new ChatError(code, error instanceof Error ? error.message : String(error));
}
