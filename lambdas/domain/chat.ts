import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError, BadRequest, Conflict, Forbidden, roomClosed, roomNotFound, staffOnly } from './errors.js';
import { Limit, type LimitDeps, RateLimited, spend } from './limits.js';
import { kindOf } from './namespaces.js';
import type { ChatEvents, ChatStore, HistoryRequest, PageRequest, StaffPresenceReader } from './ports.js';
import {
  customerNameOnRoom,
  emailConfirmed,
  SessionUpgraded,
  shownProfile,
  shownProfiles,
} from './profiles.js';
import {
  type Actor,
  type FoundBy,
  type Message,
  type MessageAttachment,
  type MessagePage,
  type OnlineUser,
  type Page,
  Role,
  type Room,
  type RoomDetail,
  RoomStatus,
  type RoomView,
  type Ticket,
  unreadCount,
} from './types.js';

/** What every use case needs. */
export interface ChatDeps {
  readonly store: ChatStore;
  readonly now?: () => Date;
}

/** What a use case that changes something needs: it also tells the world, and keeps each user's limits. */
export interface ChatCommandDeps extends ChatDeps, LimitDeps {
  readonly events: ChatEvents;
}

/** API Gateway closes every socket after two hours; items outlive that a little so reads decide, not TTL. */
export const CONNECTION_LIFETIME_SECONDS = 2 * 60 * 60 + 5 * 60;
/** A WebSocket ticket is good for one connection within this many seconds. */
export const TICKET_LIFETIME_SECONDS = 60;

export const now = (deps: ChatDeps) => (deps.now ? deps.now() : new Date());
const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

// ---------------------------------------------------------------------------------------------------------------
// Access rules. Customers see and act only on their own rooms (another customer's room does not exist for
// them: 404, not 403); staff see every room.

function canSee(actor: Actor, room: Room): boolean {
  return actor.role === Role.staff || room.customerId === actor.userId;
}

/** The room if the actor may see it; 404 otherwise, whether it exists or not. */
async function visibleRoom(deps: ChatDeps, actor: Actor, roomId: string): Promise<Room> {
  const room = await deps.store.getRoom(roomId);
  if (!room || !canSee(actor, room)) throw roomNotFound();
  return room;
}

/** For conditional writes: customers may only touch rooms they own, and the write itself checks it. */
const ownerGuard = (actor: Actor) => (actor.role === Role.customer ? actor.userId : undefined);

function requireStaff(actor: Actor): void {
  if (actor.role !== Role.staff) throw staffOnly();
}

export function view(room: Room, actor: Actor): RoomView {
  return { ...room, unreadCount: unreadCount(room, actor.userId) };
}

function viewPage(page: Page<Room>, actor: Actor): Page<RoomView> {
  return { items: page.items.map((room) => view(room, actor)), nextCursor: page.nextCursor };
}

// ---------------------------------------------------------------------------------------------------------------
// Rooms

export interface NewRoom {
  readonly roomType: string;
  readonly subject: string;
  /** The page the chat was opened from (an http(s) URL), kept beside the room item. */
  readonly pageUrl?: string | undefined;
}

/** A customer opens a room, under the name their profile gives; every online staff member hears of it. */
export async function createRoom(deps: ChatCommandDeps, actor: Actor, input: NewRoom): Promise<RoomView> {
  if (actor.role !== Role.customer) throw new Forbidden('Only customers open rooms', 'customers_only');
  const profile = await shownProfile(deps.store, actor.userId);
  if (profile?.linkedTo) throw new SessionUpgraded();
  await spend(deps, actor, Limit.roomsOpened, actor.userId, now(deps).getTime());
  const at = now(deps).toISOString();
  const room: Room = {
    id: randomUUID(),
    roomType: input.roomType,
    subject: input.subject,
    status: RoomStatus.open,
    customerId: actor.userId,
    customerName: customerNameOnRoom(profile?.name ?? null),
    staffIds: [],
    createdAt: at,
    lastActivityAt: at,
    closedAt: null,
    closedBy: null,
    assigneeId: null,
    assignedAt: null,
    lastMessageId: 0,
    lastMessage: null,
    reads: new Map([[actor.userId, 0]]),
    version: 1,
  };
  await deps.store.createRoom(room, input.pageUrl === undefined ? undefined : { pageUrl: input.pageUrl });
  await deps.events.roomChanged('created', room, actor.userId);
  return view(room, actor);
}

/**
 * One room with its members (their names, read pointers and whether they are online) and who its customer is:
 * the room, then its people's profiles and its context in one batch, beside the presence reads.
 */
export async function getRoomDetail(deps: ChatDeps, actor: Actor, roomId: string): Promise<RoomDetail> {
  const room = await visibleRoom(deps, actor, roomId);
  const people: { userId: string; role: Role }[] = [
    { userId: room.customerId, role: Role.customer },
    ...room.staffIds.map((userId) => ({ userId, role: Role.staff })),
  ];
  const [found, online] = await Promise.all([
    deps.store.getRoomPeople(
      room.id,
      people.map((person) => person.userId),
    ),
    Promise.all(
      people.map(async ({ userId, role }) => (await deps.store.userConnections(userId, role)).length > 0),
    ),
  ]);
  const profiles = await shownProfiles(deps.store, found.profiles);
  const members = people.map(({ userId, role }, i) => ({
    userId,
    role,
    lastRead: room.reads.get(userId) ?? 0,
    isOnline: online[i] ?? false,
    name: profiles.get(userId)?.name ?? (role === Role.customer ? room.customerName : null),
  }));
  const customer = profiles.get(room.customerId);
  return {
    ...view(room, actor),
    members,
    customer: {
      userId: room.customerId,
      name: customer?.name ?? room.customerName,
      email: customer?.email ?? null,
      kind: customer?.kind ?? kindOf(room.customerId),
      verified: customer?.verified ?? false,
      verifiedFields: customer?.verifiedFields ?? [],
      emailConfirmed: customer ? emailConfirmed(customer) : false,
      pageUrl: found.context?.pageUrl ?? null,
    },
  };
}

/** A customer's own rooms; a staff member's joined rooms. Newest first. */
export async function listMyRooms(deps: ChatDeps, actor: Actor, page: PageRequest): Promise<Page<RoomView>> {
  const rooms =
    actor.role === Role.staff
      ? await deps.store.listStaffRooms(actor.userId, page)
      : await deps.store.listCustomerRooms(actor.userId, page);
  return viewPage(rooms, actor);
}

/** Every open room, newest activity first: the staff queue. */
export async function listActiveRooms(
  deps: ChatDeps,
  actor: Actor,
  page: PageRequest,
): Promise<Page<RoomView>> {
  requireStaff(actor);
  return viewPage(await deps.store.listOpenRooms(page), actor);
}

export async function joinRoom(deps: ChatCommandDeps, actor: Actor, roomId: string): Promise<RoomView> {
  await visibleRoom(deps, actor, roomId);
  requireStaff(actor);
  const result = await deps.store.addStaff(roomId, actor.userId, now(deps).toISOString());
  if (result.kind === 'not_found') throw roomNotFound();
  if (result.kind === 'closed') throw roomClosed();
  if (result.kind === 'changed') await deps.events.roomChanged('joined', result.room, actor.userId);
  return view(result.room, actor);
}

export async function leaveRoom(deps: ChatCommandDeps, actor: Actor, roomId: string): Promise<RoomView> {
  await visibleRoom(deps, actor, roomId);
  requireStaff(actor);
  const result = await deps.store.removeStaff(roomId, actor.userId);
  if (result.kind === 'not_found') throw roomNotFound();
  if (result.kind === 'closed') throw roomClosed();
  if (result.kind === 'changed') await deps.events.roomChanged('left', result.room, actor.userId);
  return view(result.room, actor);
}

/** The room's customer or any staff member closes it; closing a closed room changes nothing. */
export async function closeRoom(deps: ChatCommandDeps, actor: Actor, roomId: string): Promise<RoomView> {
  const result = await deps.store.closeRoom(roomId, actor.userId, now(deps).toISOString(), ownerGuard(actor));
  if (result.kind === 'not_found') throw roomNotFound();
  if (result.kind === 'changed') await deps.events.roomChanged('closed', result.room, actor.userId);
  return view(result.room, actor);
}

// ---------------------------------------------------------------------------------------------------------------
// Messages

export interface NewMessage {
  readonly content: string;
  readonly clientMessageId?: string | null | undefined;
  /** Checked by `sendWithAttachments` (lambdas/domain/attachments.ts), which alone passes them. */
  readonly attachments?: readonly MessageAttachment[] | undefined;
}

export interface SendResult {
  readonly message: Message;
  /** False when this was a resend of a stored message (same client_message_id): nothing new was stored. */
  readonly created: boolean;
}

/**
 * Appends a message to an open room. A staff member who writes in a room joins it. A resend with the same
 * `client_message_id` returns the stored message, stores nothing, and pushes it again (recipients drop an id
 * they already have), so recipients that a failed or timed-out first attempt skipped get it live.
 */
export async function sendMessage(
  deps: ChatCommandDeps,
  actor: Actor,
  roomId: string,
  input: NewMessage,
): Promise<SendResult> {
  // A resend counts too: it costs what a send costs until the store finds the stored copy.
  await spend(deps, actor, Limit.messages, actor.userId, now(deps).getTime());
  const result = await deps.store.appendMessage({
    roomId,
    sender: actor,
    content: input.content,
    createdAt: now(deps).toISOString(),
    clientMessageId: input.clientMessageId ?? null,
    ownerId: ownerGuard(actor),
    ...(input.attachments?.length ? { attachments: input.attachments } : {}),
  });
  switch (result.kind) {
    case 'not_found':
      throw roomNotFound();
    case 'closed':
      throw roomClosed();
    case 'in_progress':
      throw new Conflict('This message is still being sent; try again shortly', 'send_in_progress');
    default:
      if (result.joinedStaff && result.room)
        await deps.events.roomChanged('joined', result.room, actor.userId);
      // A resend is pushed again: the copy that stored it may have failed or timed out before (or while) it
      // pushed, and recipients drop a message id they already have.
      await deps.events.messageCreated(result.message);
      return { message: result.message, created: result.kind !== 'duplicate' };
  }
}

export async function listMessages(
  deps: ChatDeps,
  actor: Actor,
  roomId: string,
  request: HistoryRequest,
): Promise<MessagePage> {
  if (request.before !== undefined && request.after !== undefined) {
    throw new BadRequest('Use either before or after, not both');
  }
  // The access check and the query run side by side; the page is only returned if the check passes.
  const [room, page] = await Promise.all([
    deps.store.getRoom(roomId),
    deps.store.listMessages(roomId, request),
  ]);
  if (!room || !canSee(actor, room)) throw roomNotFound();
  return page;
}

export interface ReadState {
  readonly roomId: string;
  readonly userId: string;
  readonly lastRead: number;
  readonly unreadCount: number;
}

/**
 * Moves the caller's read pointer forward to `messageId` (default: the newest message) and tells the room.
 * The pointer never moves back; a message id beyond the newest message is refused.
 */
export async function markRead(
  deps: ChatCommandDeps,
  actor: Actor,
  roomId: string,
  messageId?: number,
): Promise<ReadState> {
  let target = messageId;
  if (target === undefined) {
    target = (await visibleRoom(deps, actor, roomId)).lastMessageId;
    if (target === 0) return { roomId, userId: actor.userId, lastRead: 0, unreadCount: 0 };
  }
  const result = await deps.store.markRead(roomId, actor.userId, target, ownerGuard(actor));
  if (result.kind === 'not_found') throw roomNotFound();
  if (result.kind === 'beyond') {
    throw new BadRequest(
      `message_id ${target} is beyond the newest message (${result.lastMessageId})`,
      'message_id_out_of_range',
    );
  }
  if (result.kind === 'updated') await deps.events.readReceipt(roomId, actor, target);
  const lastRead = result.room.reads.get(actor.userId) ?? 0;
  return { roomId, userId: actor.userId, lastRead, unreadCount: unreadCount(result.room, actor.userId) };
}

// ---------------------------------------------------------------------------------------------------------------
// Connections, subscriptions and presence

/**
 * Staff with at least one live socket: checked against the WebSocket API when `presence` is given (a socket
 * whose `$disconnect` never ran, or that died silently, stops counting within the presence window), else
 * straight from the presence items.
 */
export function onlineStaff(
  deps: ChatDeps & { readonly presence?: StaffPresenceReader },
): Promise<OnlineUser[]> {
  return deps.presence ? deps.presence.onlineStaff() : deps.store.onlineStaff();
}

export interface ConnectInput {
  readonly connectionId: string;
  /** Epoch milliseconds, as API Gateway reports it. */
  readonly connectedAt: number;
  /** Room to follow from the start (`?room_id=`). */
  readonly roomId?: string | undefined;
  /** When the socket's token expires (epoch seconds): its items expire then too, so no fan-out finds it. */
  readonly sessionExpiresAt?: number | undefined;
}

/**
 * When a socket's items expire (epoch seconds): at API Gateway's 2-hour cut, or when its token does if that
 * is sooner, so a socket whose token expired is found by no fan-out even if it only ever pings.
 */
function socketExpiry(input: {
  readonly connectedAt: number;
  readonly sessionExpiresAt?: number | undefined;
}) {
  const cut = Math.floor(input.connectedAt / 1000) + CONNECTION_LIFETIME_SECONDS;
  return input.sessionExpiresAt === undefined ? cut : Math.min(cut, input.sessionExpiresAt);
}

/**
 * Registers a socket. When it asks to follow a room at connect time, the room must be visible to the user,
 * or the connection is refused before a single frame can reach it. A connect that fails half-way leaves
 * nothing behind: a refused socket must not look online.
 */
export async function connect(deps: ChatCommandDeps, actor: Actor, input: ConnectInput): Promise<void> {
  if (input.roomId !== undefined) await visibleRoom(deps, actor, input.roomId);
  const expiresAt = socketExpiry(input);
  const rooms = input.roomId === undefined ? [] : [input.roomId];
  // The connection, its presence and its first subscription are written together.
  await deps.store.putConnection(
    { ...actor, connectionId: input.connectionId, connectedAt: input.connectedAt, rooms },
    expiresAt,
  );
  try {
    const version = await nextPresenceVersion(deps, actor);
    const live = await deps.store.userConnections(actor.userId, actor.role);
    // Each socket reads after its own write, so of sockets opening together exactly the oldest `max` stay.
    const position = live.findIndex((c) => c.connectionId === input.connectionId);
    if (position >= deps.limits.sockets[actor.role]) throw new RateLimited('sockets', undefined);
    // Two tabs make one presence. Each socket reads after its own write, so of two tabs opening together
    // both see both, and exactly one (the oldest) announces; a socket that finds an older live one is silent.
    const oldest = live[0];
    if (oldest?.connectionId === input.connectionId) {
      const roomIds = await deps.store.openRoomIdsOf(actor);
      await deps.events.presenceChanged(actor, { isOnline: true, ...version }, roomIds, input.connectionId);
    }
  } catch (error) {
    await deps.store.deleteConnection(input.connectionId);
    throw error;
  }
}

/**
 * Forgets a socket: on `$disconnect`, and when the management API says it is gone. The last socket of a
 * user going away makes them offline; two tabs closing together may both say so, which is harmless.
 */
export async function disconnect(deps: ChatCommandDeps, connectionId: string): Promise<void> {
  const connection = await deps.store.deleteConnection(connectionId);
  if (connection) await announceOfflineIfLast(deps, connection);
}

async function announceOfflineIfLast(deps: ChatCommandDeps, who: Actor): Promise<void> {
  const actor = { userId: who.userId, role: who.role };
  const version = await nextPresenceVersion(deps, actor);
  if ((await deps.store.userConnections(actor.userId, actor.role)).length > 0) return;
  await deps.events.presenceChanged(
    actor,
    { isOnline: false, ...version },
    await deps.store.openRoomIdsOf(actor),
  );
}

/**
 * The version and time of a presence decision, taken after the socket's own write and before the read that
 * decides. Of two decisions that disagree, one read did not see the other's write, so it read before that
 * write, whose version and time come after it: the newer truth carries the higher version. Versions come from
 * one counter per user in the table, because clocks of two containers may tie or disagree by a few ms.
 */
async function nextPresenceVersion(
  deps: ChatDeps,
  actor: Actor,
): Promise<{ readonly version: number; readonly at: number }> {
  const version = await deps.store.nextPresenceVersion(actor, now(deps).getTime());
  return { version, at: now(deps).getTime() };
}

/** A socket the management API no longer knows, with the items that led a fan-out to it. */
export interface GoneSocket extends Actor {
  readonly connectionId: string;
  readonly foundBy: readonly FoundBy[];
}

/**
 * A socket the management API no longer knows (410): forget it through its connection item, and also delete
 * each item it was found by that the connection item did not list (the connection item was already gone, or a
 * follow raced `$disconnect`), by that item's own key: a console found through a room and the queue loses both.
 */
export async function forgetGoneSocket(deps: ChatCommandDeps, socket: GoneSocket): Promise<void> {
  const { connectionId } = socket;
  const connection = await deps.store.deleteConnection(connectionId);
  let presenceRemoved = false;
  for (const found of socket.foundBy) {
    if (found.kind === 'subscription' && !connection?.rooms.includes(found.roomId)) {
      await deps.store.removeSubscription(found.roomId, connectionId);
    } else if (found.kind === 'queue' && !connection?.followsQueue) {
      await deps.store.removeQueueFollower(connectionId);
    } else if (found.kind === 'presence' && !connection && !presenceRemoved) {
      await deps.store.removePresence(socket.userId, socket.role, connectionId);
      presenceRemoved = true;
    }
  }
  if (connection) await announceOfflineIfLast(deps, connection);
  else if (presenceRemoved) await announceOfflineIfLast(deps, socket);
}

export interface SubscribeInput {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly roomId: string;
  readonly sessionExpiresAt?: number | undefined;
}

/** Follows a room on one socket: customers their own rooms, staff any room. */
export async function subscribe(deps: ChatDeps, actor: Actor, input: SubscribeInput): Promise<RoomView> {
  const room = await visibleRoom(deps, actor, input.roomId);
  const { sessionExpiresAt: _, ...subscription } = input;
  await deps.store.addSubscription({ ...actor, ...subscription }, socketExpiry(input));
  return view(room, actor);
}

/**
 * Follows the staff queue on one socket: a `queue` frame about once a second with a summary of each open
 * room that changed (`lambdas/stream/queue-summaries.ts`), so a console keeps its whole queue live with one
 * subscription, and a message costs nothing per console.
 */
export async function followQueue(
  deps: ChatDeps,
  actor: Actor,
  input: {
    readonly connectionId: string;
    readonly connectedAt: number;
    readonly sessionExpiresAt?: number | undefined;
  },
): Promise<void> {
  requireStaff(actor);
  const { sessionExpiresAt: _, ...socket } = input;
  await deps.store.addQueueFollower({ ...actor, ...socket, roomId: '' }, socketExpiry(input));
}

export async function unfollowQueue(deps: ChatDeps, connectionId: string): Promise<void> {
  await deps.store.removeQueueFollower(connectionId);
}

export async function unsubscribe(deps: ChatDeps, roomId: string, connectionId: string): Promise<void> {
  await deps.store.removeSubscription(roomId, connectionId);
}

/**
 * Frames about a room are only taken from sockets that follow it. (Following the queue is not enough: a
 * console subscribes to the room it shows.)
 */
export async function requireFollowing(deps: ChatDeps, roomId: string, connectionId: string): Promise<void> {
  const subscription = await deps.store.getSubscription(roomId, connectionId);
  if (!subscription) {
    throw new AppError(403, 'not_subscribed', 'This socket does not follow that room; subscribe first');
  }
}

export async function typing(
  deps: ChatCommandDeps,
  actor: Actor,
  roomId: string,
  isTyping: boolean,
  connectionId: string,
): Promise<void> {
  // Per user (per socket, ten sockets would multiply it), and first, so a flood costs one write a frame.
  await spend(deps, actor, Limit.typing, actor.userId, now(deps).getTime());
  await requireFollowing(deps, roomId, connectionId);
  // The room's sockets hear it now; the queue's consoles through the stream, in their next summary.
  await Promise.all([
    deps.store.putTyping(roomId, actor, isTyping, now(deps).toISOString()),
    deps.events.typing(roomId, actor, isTyping, connectionId),
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// One-time WebSocket tickets: browsers connect with `?ticket=` instead of putting a long-lived JWT in a URL.

const hashTicket = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

export interface IssuedTicket {
  readonly ticket: string;
  readonly expiresIn: number;
}

/** Only the ticket's hash is stored: a read of the table does not yield a usable ticket. */
export async function issueTicket(
  deps: ChatDeps,
  actor: Actor,
  tokenExpiresAt: number,
): Promise<IssuedTicket> {
  const ticket = randomBytes(32).toString('base64url');
  // A ticket never outlives the token it was bought with.
  const expiresAt = Math.min(epochSeconds(now(deps)) + TICKET_LIFETIME_SECONDS, tokenExpiresAt);
  await deps.store.putTicket(
    hashTicket(ticket),
    { userId: actor.userId, role: actor.role, tokenExpiresAt },
    expiresAt,
  );
  return { ticket, expiresIn: TICKET_LIFETIME_SECONDS };
}

/** The ticket's owner, once; null for an unknown, used or expired ticket. */
export function redeemTicket(deps: ChatDeps, ticket: string): Promise<Ticket | null> {
  return deps.store.takeTicket(hashTicket(ticket));
}
