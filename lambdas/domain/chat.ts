import { randomUUID } from 'node:crypto';
import { BadRequest, Conflict, Forbidden, roomClosed, roomNotFound, staffOnly } from './errors.js';
import { Limit, type LimitDeps, spend } from './limits.js';
import { kindOf } from './namespaces.js';
import type { ChatEvents, ChatStore, HistoryRequest, PageRequest } from './ports.js';
import {
  customerNameOnRoom,
  emailConfirmed,
  SessionUpgraded,
  shownProfile,
  shownProfiles,
} from './profiles.js';
import {
  type Actor,
  type Message,
  type MessageAttachment,
  type MessagePage,
  type Page,
  Role,
  type Room,
  type RoomDetail,
  RoomStatus,
  type RoomView,
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

export const now = (deps: ChatDeps) => (deps.now ? deps.now() : new Date());

// ---------------------------------------------------------------------------------------------------------------
// Access rules. Customers see and act only on their own rooms (another customer's room does not exist for
// them: 404, not 403); staff see every room.

function canSee(actor: Actor, room: Room): boolean {
  return actor.role === Role.staff || room.customerId === actor.userId;
}

/** The room if the actor may see it; 404 otherwise, whether it exists or not. */
export async function visibleRoom(deps: ChatDeps, actor: Actor, roomId: string): Promise<Room> {
  const room = await deps.store.getRoom(roomId);
  if (!room || !canSee(actor, room)) throw roomNotFound();
  return room;
}

/** For conditional writes: customers may only touch rooms they own, and the write itself checks it. */
const ownerGuard = (actor: Actor) => (actor.role === Role.customer ? actor.userId : undefined);

export function requireStaff(actor: Actor): void {
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
