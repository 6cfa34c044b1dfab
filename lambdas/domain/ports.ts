import type { ProfilePorts, RoomContext } from './profiles.js';
import type {
  Actor,
  Connection,
  Message,
  MessageAttachment,
  MessagePage,
  OnlineUser,
  Page,
  PresenceChange,
  Role,
  Room,
  Subscription,
  Ticket,
} from './types.js';

export interface LiveConnection {
  readonly connectionId: string;
  /** Epoch ms. */
  readonly connectedAt: number;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface HistoryRequest {
  readonly limit: number;
  /** Messages with a smaller id, newest of them first read. */
  readonly before?: number | undefined;
  /** Messages with a larger id. */
  readonly after?: number | undefined;
}

export interface AppendMessageInput {
  readonly roomId: string;
  readonly sender: Actor;
  readonly content: string;
  readonly createdAt: string;
  readonly clientMessageId: string | null;
  /** Refuse unless the room belongs to this customer (checked in the same write). */
  readonly ownerId?: string | undefined;
  /** The files it cites, already checked (lambdas/domain/attachments.ts). */
  readonly attachments?: readonly MessageAttachment[];
}

export type AppendResult =
  | {
      /**
       * `created`: stored now. `duplicate`: a resend (same client_message_id) of a stored message.
       * `completed`: a resend stored the message under the id an earlier copy took but failed to store.
       */
      readonly kind: 'created' | 'duplicate' | 'completed';
      readonly message: Message;
      /** This send made its staff sender a member (or finished a join an earlier copy left half done). */
      readonly joinedStaff: boolean;
      /** The room after the join; present when `joinedStaff`. */
      readonly room: Room | null;
    }
  /** Another copy of this send holds its claim and is still running. */
  | { readonly kind: 'in_progress' }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'closed' };

export type MarkReadResult =
  | { readonly kind: 'updated' | 'unchanged'; readonly room: Room }
  | { readonly kind: 'beyond'; readonly lastMessageId: number }
  | { readonly kind: 'not_found' };

export type MembershipResult =
  | { readonly kind: 'changed' | 'unchanged'; readonly room: Room }
  | { readonly kind: 'closed' }
  | { readonly kind: 'not_found' };

export type CloseResult =
  | { readonly kind: 'changed' | 'unchanged'; readonly room: Room }
  | { readonly kind: 'not_found' };

/**
 * What the domain needs from storage, in the domain's words. `lambdas/storage` implements it over one
 * DynamoDB table; every conditional outcome comes back as a result kind, never as a storage exception.
 */
export interface ChatStore extends ProfilePorts {
  /** `context`, when given, is stored beside the room item (the page it was opened from). */
  createRoom(room: Room, context?: RoomContext): Promise<void>;
  getRoom(roomId: string): Promise<Room | null>;
  listCustomerRooms(customerId: string, page: PageRequest): Promise<Page<Room>>;
  listStaffRooms(staffId: string, page: PageRequest): Promise<Page<Room>>;
  listOpenRooms(page: PageRequest): Promise<Page<Room>>;
  /** Closed rooms, newest close first. */
  listClosedRooms(page: PageRequest): Promise<Page<Room>>;
  /** Ids of the open rooms a user takes part in (a customer's own, a staff member's joined ones). */
  openRoomIdsOf(actor: Actor): Promise<string[]>;

  appendMessage(input: AppendMessageInput): Promise<AppendResult>;
  listMessages(roomId: string, request: HistoryRequest): Promise<MessagePage>;
  markRead(roomId: string, userId: string, messageId: number, ownerId?: string): Promise<MarkReadResult>;
  addStaff(roomId: string, staffId: string, at: string): Promise<MembershipResult>;
  removeStaff(roomId: string, staffId: string): Promise<MembershipResult>;
  closeRoom(roomId: string, by: string, at: string, ownerId?: string): Promise<CloseResult>;
  /**
   * Sets the name an open room of `customerId` shows for them (a new version of the room, so the queue hears
   * of it); null when the room is closed, not theirs, or already shows that name.
   */
  renameCustomer(roomId: string, customerId: string, name: string | null): Promise<Room | null>;

  putConnection(connection: Connection, expiresAt: number): Promise<void>;
  /** Deletes the connection, its subscriptions, its queue following and its presence; returns what was deleted. */
  deleteConnection(connectionId: string): Promise<Connection | null>;
  addSubscription(subscription: Subscription, expiresAt: number): Promise<void>;
  removeSubscription(roomId: string, connectionId: string): Promise<void>;
  getSubscription(roomId: string, connectionId: string): Promise<Subscription | null>;
  listSubscriptions(roomId: string): Promise<Subscription[]>;
  /** Live connections of one user, oldest first (strongly consistent). */
  userConnections(userId: string, role: Role): Promise<LiveConnection[]>;
  onlineStaff(): Promise<OnlineUser[]>;
  /** Live connections of every staff member. */
  staffConnections(): Promise<Subscription[]>;
  /** Makes a staff socket follow every open room (`roomId` of the subscription is ignored). */
  addQueueFollower(subscription: Subscription, expiresAt: number): Promise<void>;
  removeQueueFollower(connectionId: string): Promise<void>;
  /** Deletes one presence item (a socket found gone whose connection item was already deleted). */
  removePresence(userId: string, role: Role, connectionId: string): Promise<void>;
  /** Live sockets that follow the staff queue. */
  queueFollowers(): Promise<Subscription[]>;
  /**
   * Counts one change of a user's sockets and returns the user's next presence version: strictly greater than
   * every version returned before for that user, whichever container asks (one atomic counter per user).
   */
  nextPresenceVersion(actor: Actor, nowMs: number): Promise<number>;

  /** Records on the room that a user started or stopped typing (for the queue's "typing…" hint). */
  putTyping(roomId: string, actor: Actor, isTyping: boolean, at: string): Promise<void>;

  putTicket(ticketHash: string, ticket: Ticket, expiresAt: number): Promise<void>;
  /** Deletes the ticket and returns it, if it existed and had not expired: a ticket works once. */
  takeTicket(ticketHash: string): Promise<Ticket | null>;
}

export type RoomEvent = 'created' | 'joined' | 'left' | 'closed' | 'assigned';

/** What a batch of the table's stream says about rooms (decoded by storage's `roomChangesOf`). */
export interface RoomChanges {
  /** The newest state of each room whose item changed (who is typing included). */
  readonly rooms: ReadonlyMap<string, Room>;
}

/**
 * What the domain tells the world. `lambdas/push` turns each call into frames for the right sockets, so the
 * HTTP API and the WebSocket API produce the same frames for the same change.
 */
export interface ChatEvents {
  roomChanged(event: RoomEvent, room: Room, userId: string): Promise<void>;
  messageCreated(message: Message): Promise<void>;
  typing(roomId: string, actor: Actor, isTyping: boolean, fromConnectionId: string): Promise<void>;
  readReceipt(roomId: string, actor: Actor, messageId: number): Promise<void>;
  /** `exceptConnectionId`: the socket whose arrival caused it, which cannot receive frames during `$connect`. */
  presenceChanged(
    actor: Actor,
    change: PresenceChange,
    roomIds: readonly string[],
    exceptConnectionId?: string,
  ): Promise<void>;
}

/**
 * What the WebSocket API itself knows about a socket (the management API's `GET @connections/{id}`): a socket
 * that died without a close frame stays open there until its idle cut, but its client stops sending frames.
 */
export interface SocketProbe {
  /** When the socket's client last sent a data frame (epoch ms), or `gone` if the API no longer knows it. */
  lastActiveAt(connectionId: string): Promise<number | 'gone'>;
  /** Closes the socket (`DELETE @connections/{id}`); one already gone is fine. */
  disconnect(connectionId: string): Promise<void>;
}

/** Who of the staff is online, checked against the sockets themselves rather than their items alone. */
export interface StaffPresenceReader {
  onlineStaff(): Promise<OnlineUser[]>;
}

/** A window of a rate limit: at most `max` uses per `seconds`, in fixed windows aligned to the epoch. */
export interface LimitWindow {
  readonly max: number;
  readonly seconds: number;
}

export type LimitVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Counters that hold across Lambda containers (items in the table, with a TTL). */
export interface RateLimiter {
  /**
   * Counts one use of limit `name` by `subject` in every window, unless one of them is full: then nothing is
   * counted, and the verdict says when the full windows have all rolled over.
   */
  take(name: string, subject: string, windows: readonly LimitWindow[], nowMs: number): Promise<LimitVerdict>;
}
