import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AppendMessageInput, ChatStore, HistoryRequest, PageRequest } from '../domain/ports.js';
import type { ProfileFields, RoomContext } from '../domain/profiles.js';
import type { Actor, Connection, Role, Room, Subscription, Ticket } from '../domain/types.js';
import { ClosedRooms } from './closed-rooms.js';
import { ConnectionStore } from './connection-store.js';
import { OpenRooms } from './open-rooms.js';
import { ProfileStore } from './profile-store.js';
import { RoomStore } from './room-store.js';
import { SendStore } from './send-store.js';
import { Table } from './table.js';
import { TicketStore } from './ticket-store.js';
import { TypingStore } from './typing-store.js';

export interface DynamoStoreOptions {
  readonly tableName: string;
  /** Partitions of the open-rooms index. */
  readonly openRoomShards: number;
  /**
   * Keep the legacy open-rooms index (gsi2) up and list from it: only for the deploy that moves a stack onto
   * gsi3 (docs/deploy.md). @default false
   */
  readonly legacyOpenRoomsIndex?: boolean;
  /** How long a client_message_id claim is kept, in seconds. @default 7 days */
  readonly claimLifetimeSeconds?: number;
  readonly now?: () => number;
}

/**
 * The chat table, as the domain's `ChatStore`. Owns every key and attribute name; no other module builds a
 * DynamoDB request. Each concern lives in a store of its own over one shared `Table`:
 *
 * - `RoomStore`: rooms, their lists, history, membership and read pointers;
 * - `ClosedRooms`: the closed rooms, newest close first, from the entries the close moves them to;
 * - `SendStore`: sends, with the sequence number and the idempotency claim;
 * - `ConnectionStore`: connections, presence, subscriptions and queue following;
 * - `TicketStore`: one-time WebSocket tickets;
 * - `TypingStore`: who is typing, on the room item, for the table's stream;
 * - `ProfileStore`: people's display names and email addresses, verified or said;
 * - `Table`: paging, batches and conditional updates, shared by all of them.
 *
 * Rules they keep: no Scan, no transactions; a change that must be checked against current state is a single
 * conditional write whose failure reports why (`ReturnValuesOnConditionCheckFailure`); queries follow
 * `LastEvaluatedKey` until the page is full, because DynamoDB stops at 1 MB whatever the limit.
 */
export class DynamoStore implements ChatStore {
  private readonly rooms: RoomStore;
  private readonly closedRooms: ClosedRooms;
  private readonly sends: SendStore;
  private readonly connections: ConnectionStore;
  private readonly tickets: TicketStore;
  private readonly typing: TypingStore;
  private readonly profiles: ProfileStore;

  constructor(db: DynamoDBDocumentClient, options: DynamoStoreOptions) {
    const table = new Table(db, options.tableName, options.now ?? Date.now);
    const openRooms = new OpenRooms(table, options.openRoomShards, options.legacyOpenRoomsIndex ?? false);
    this.closedRooms = new ClosedRooms(table, options.openRoomShards);
    this.rooms = new RoomStore(table, openRooms, this.closedRooms);
    this.sends = new SendStore(table, this.rooms, openRooms, options.claimLifetimeSeconds ?? 7 * 24 * 3600);
    this.connections = new ConnectionStore(table);
    this.tickets = new TicketStore(table);
    this.typing = new TypingStore(table);
    this.profiles = new ProfileStore(table);
  }

  // Rooms, history, membership, read pointers
  createRoom = (room: Room, context?: RoomContext) => this.rooms.createRoom(room, context);
  getRoom = (roomId: string) => this.rooms.getRoom(roomId);
  listCustomerRooms = (customerId: string, page: PageRequest) =>
    this.rooms.listCustomerRooms(customerId, page);
  listStaffRooms = (staffId: string, page: PageRequest) => this.rooms.listStaffRooms(staffId, page);
  listOpenRooms = (page: PageRequest) => this.rooms.listOpenRooms(page);
  listClosedRooms = (page: PageRequest) => this.closedRooms.list(page);
  openRoomIdsOf = (actor: Actor) => this.rooms.openRoomIdsOf(actor);
  listMessages = (roomId: string, request: HistoryRequest) => this.rooms.listMessages(roomId, request);
  markRead = (roomId: string, userId: string, messageId: number, ownerId?: string) =>
    this.rooms.markRead(roomId, userId, messageId, ownerId);
  addStaff = (roomId: string, staffId: string, at: string) => this.rooms.addStaff(roomId, staffId, at);
  removeStaff = (roomId: string, staffId: string) => this.rooms.removeStaff(roomId, staffId);
  closeRoom = (roomId: string, by: string, at: string, ownerId?: string) =>
    this.rooms.closeRoom(roomId, by, at, ownerId);
  renameCustomer = (roomId: string, customerId: string, name: string | null) =>
    this.rooms.renameCustomer(roomId, customerId, name);

  // Sends
  appendMessage = (input: AppendMessageInput) => this.sends.appendMessage(input);

  // Connections, presence, subscriptions, queue following
  putConnection = (connection: Connection, expiresAt: number) =>
    this.connections.putConnection(connection, expiresAt);
  deleteConnection = (connectionId: string) => this.connections.deleteConnection(connectionId);
  addSubscription = (subscription: Subscription, expiresAt: number) =>
    this.connections.addSubscription(subscription, expiresAt);
  removeSubscription = (roomId: string, connectionId: string) =>
    this.connections.removeSubscription(roomId, connectionId);
  getSubscription = (roomId: string, connectionId: string) =>
    this.connections.getSubscription(roomId, connectionId);
  listSubscriptions = (roomId: string) => this.connections.listSubscriptions(roomId);
  userConnections = (userId: string, role: Role) => this.connections.userConnections(userId, role);
  onlineStaff = () => this.connections.onlineStaff();
  staffConnections = () => this.connections.staffConnections();
  addQueueFollower = (subscription: Subscription, expiresAt: number) =>
    this.connections.addQueueFollower(subscription, expiresAt);
  removeQueueFollower = (connectionId: string) => this.connections.removeQueueFollower(connectionId);
  removePresence = (userId: string, role: Role, connectionId: string) =>
    this.connections.removePresence(userId, role, connectionId);
  queueFollowers = () => this.connections.queueFollowers();
  nextPresenceVersion = (actor: Actor, nowMs: number) => this.connections.nextPresenceVersion(actor, nowMs);

  // Typing, for the stream
  putTyping = (roomId: string, actor: Actor, isTyping: boolean, at: string) =>
    this.typing.putTyping(roomId, actor, isTyping, at);

  // Tickets
  putTicket = (ticketHash: string, ticket: Ticket, expiresAt: number) =>
    this.tickets.putTicket(ticketHash, ticket, expiresAt);
  takeTicket = (ticketHash: string) => this.tickets.takeTicket(ticketHash);

  // Profiles
  getProfile = (userId: string) => this.profiles.getProfile(userId);
  getProfiles = (userIds: readonly string[]) => this.profiles.getProfiles(userIds);
  putSelfAssertedProfile = (userId: string, fields: ProfileFields, at: string) =>
    this.profiles.putSelfAssertedProfile(userId, fields, at);
  putVerifiedProfile = (userId: string, fields: ProfileFields, at: string) =>
    this.profiles.putVerifiedProfile(userId, fields, at);
  linkProfile = (guestId: string, verifiedUserId: string, at: string) =>
    this.profiles.linkProfile(guestId, verifiedUserId, at);
  getRoomPeople = (roomId: string, userIds: readonly string[]) =>
    this.profiles.getRoomPeople(roomId, userIds);
}
