import type { Connection, Message, MessageAttachment, Role, Room, Subscription } from '../domain/types.js';
import { keys } from './keys.js';
import type { Item } from './table.js';

/**
 * How the domain's records are spelled as items and read back. Reads are forgiving (a missing attribute reads
 * as its empty value; an unknown role reads as a customer), because items outlive the code that wrote them.
 */

const PREVIEW_LENGTH = 140;
/**
 * The preview's bound in UTF-8 bytes, which is what DynamoDB counts: 140 accented or CJK characters would take
 * 280-420 bytes and push the room item, written by every message, past the 1 KB of one write unit. 160 keeps
 * 140 ASCII characters whole (a longer accented text keeps 78 and the ellipsis, CJK 52) and an assigned room's
 * worst case at 996 bytes (test/lambdas/storage/room-size.test.ts); 200 took it to 1,036: two write units for
 * every message.
 */
const PREVIEW_BYTES = 160;
const ELLIPSIS = '…';

/** The room's preview of a message: at most 140 characters and 160 bytes, cut with an ellipsis. */
export function preview(content: string): string {
  const chars = [...content];
  if (chars.length <= PREVIEW_LENGTH && Buffer.byteLength(content, 'utf8') <= PREVIEW_BYTES) return content;
  let bytes = Buffer.byteLength(ELLIPSIS, 'utf8');
  let kept = 0;
  for (const char of chars) {
    const size = Buffer.byteLength(char, 'utf8');
    if (kept === PREVIEW_LENGTH - 1 || bytes + size > PREVIEW_BYTES) break;
    bytes += size;
    kept += 1;
  }
  return `${chars.slice(0, kept).join('')}${ELLIPSIS}`;
}

/**
 * What a room's preview says of a message: its text, or the names of the files it carries when it has no
 * text (a screenshot sent on its own).
 */
export function shownText(message: Pick<Message, 'content' | 'attachments'>): string {
  if (message.content !== '' || !message.attachments?.length) return message.content;
  return `📎 ${message.attachments.map((a) => a.name).join(', ')}`;
}

/** Roles are stored as written; anything but staff reads as a customer, the role with less power. */
export const roleOf = (value: unknown): Role => (value === 'staff' ? 'staff' : 'customer');

export function toStringArray(value: unknown): string[] {
  if (value instanceof Set) return [...value].map(String).sort();
  if (Array.isArray(value)) return value.map(String);
  return [];
}

/** A room as an item; `openRoomKeys` are its open-rooms index attributes (`OpenRooms.attributes`). */
export function roomItem(room: Room, openRoomKeys: Item): Item {
  return {
    ...keys.room(room.id),
    type: 'room',
    room_type: room.roomType,
    subject: room.subject,
    status: room.status,
    customer_id: room.customerId,
    ...(room.customerName === null ? {} : { customer_name: room.customerName }),
    ...(room.staffIds.length > 0 ? { staff_ids: new Set(room.staffIds) } : {}),
    ...(room.assigneeId === null ? {} : { asg: room.assigneeId }),
    ...(room.assignedAt === null ? {} : { asgat: Date.parse(room.assignedAt) }),
    created_at: room.createdAt,
    last_activity_at: room.lastActivityAt,
    seq: room.lastMessageId,
    last_message_id: room.lastMessageId,
    reads: new Map([...room.reads].map(([userId, lastRead]) => [keys.reader(userId), lastRead])),
    version: room.version,
    ...(room.status === 'open' ? openRoomKeys : {}),
  };
}

/** The room's entry in its customer's list of rooms (gsi1), with the status their open rooms are found by. */
export function customerRoomItem(room: Room): Item {
  return {
    ...keys.customerRoom(room.id),
    type: 'customer_room',
    room_id: room.id,
    customer_id: room.customerId,
    status: room.status,
    gsi1pk: keys.customerRooms(room.customerId),
    gsi1sk: keys.timeOrdered(room.createdAt, room.id),
  };
}

/** The room a customer's list entry stands for: a `customer_room` item, or a room item listed before them. */
export const roomIdOfListing = (item: Item): string =>
  typeof item.room_id === 'string' ? item.room_id : roomIdOf(item);

/**
 * A room item's room id, from its key. Room items written before the room item shed its `id` attribute (38
 * bytes that only repeated `pk`, in the item every message rewrites) still carry it; it is the same id.
 */
export const roomIdOf = (item: Item): string =>
  typeof item.pk === 'string' ? keys.roomIdOfKey(item.pk) : String(item.id);

export function toRoom(item: Item): Room {
  // The newest stored message; rooms written before `last_message_id` existed had no holes, so seq is it.
  const seq = Number(item.last_message_id ?? item.seq ?? 0);
  const holes = toNumberArray(item.holes).filter((id) => id <= seq);
  const staffHoles = toNumberArray(item[keys.staffHoles]).filter((id) => id <= seq);
  const last = item.last_message as Item | undefined;
  return {
    id: roomIdOf(item),
    roomType: String(item.room_type),
    subject: String(item.subject ?? ''),
    status: item.status === 'closed' ? 'closed' : 'open',
    customerId: String(item.customer_id),
    customerName: typeof item.customer_name === 'string' ? item.customer_name : null,
    staffIds: toStringArray(item.staff_ids),
    createdAt: String(item.created_at),
    lastActivityAt: String(item.last_activity_at),
    closedAt: typeof item.closed_at === 'string' ? item.closed_at : null,
    closedBy: typeof item.closed_by === 'string' ? item.closed_by : null,
    assigneeId: typeof item.asg === 'string' ? item.asg : null,
    // Epoch ms: a number takes 8 bytes where an ISO time takes 24, in the item every message rewrites.
    assignedAt: typeof item.asgat === 'number' ? new Date(item.asgat).toISOString() : null,
    lastMessageId: seq,
    lastMessage: last
      ? {
          id: seq,
          senderId: String(last.sender_id),
          senderRole: roleOf(last.sender_role),
          preview: String(last.preview),
          createdAt: String(last.created_at),
        }
      : null,
    reads: readPointers(item.reads),
    version: Number(item.version ?? 0),
    ...(holes.length > 0 ? { holes } : {}),
    ...(staffHoles.length > 0 ? { staffHoles } : {}),
    ...typists(item),
    ...staffCounts(item),
  };
}

/**
 * The room's count of staff messages, and each staff reader's count at their pointer (`R#<hash of id>`,
 * found by the ids of the read pointers: every reader with a count has a pointer).
 */
function staffCounts(item: Item): Pick<Room, 'staffMessages' | 'staffMessagesRead'> {
  if (item[keys.staffCount] === undefined) return {};
  const atRead = new Map<string, number>();
  for (const key of Object.keys((item.reads as Item | undefined) ?? {})) {
    if (!key.startsWith(keys.readerPrefix)) continue;
    const userId = key.slice(keys.readerPrefix.length);
    if (userId === item.customer_id) continue;
    const count = item[keys.staffCountAtRead(userId)];
    if (count !== undefined) atRead.set(userId, Number(count));
  }
  return { staffMessages: Number(item[keys.staffCount]), staffMessagesRead: atRead };
}

function toNumberArray(value: unknown): number[] {
  if (value instanceof Set || Array.isArray(value)) return [...value].map(Number).sort((a, b) => a - b);
  return [];
}

export function messageItem(message: Message): Item {
  return {
    ...keys.message(message.roomId, message.id),
    type: 'message',
    id: message.id,
    room_id: message.roomId,
    sender_id: message.senderId,
    sender_role: message.senderRole,
    content: message.content,
    created_at: message.createdAt,
    ...(message.clientMessageId === null ? {} : { client_message_id: message.clientMessageId }),
    ...(message.attachments?.length ? { attachments: message.attachments.map(attachmentItem) } : {}),
  };
}

/** An attachment on a message item: short names, since a message may carry ten. */
const attachmentItem = (a: MessageAttachment): Item => ({
  id: a.id,
  n: a.name,
  sz: a.size,
  ct: a.contentType,
  ...(a.hasThumbnail ? { th: true } : {}),
});

function toAttachments(value: unknown): MessageAttachment[] {
  if (!Array.isArray(value)) return [];
  return value.map((a: Item) => ({
    id: String(a.id),
    name: String(a.n ?? ''),
    size: Number(a.sz ?? 0),
    contentType: String(a.ct ?? 'application/octet-stream'),
    hasThumbnail: a.th === true,
  }));
}

export function toMessage(item: Item): Message {
  return {
    id: Number(item.id),
    roomId: String(item.room_id),
    senderId: String(item.sender_id),
    senderRole: roleOf(item.sender_role),
    content: String(item.content),
    createdAt: String(item.created_at),
    clientMessageId: typeof item.client_message_id === 'string' ? item.client_message_id : null,
    ...(Array.isArray(item.attachments) && item.attachments.length > 0
      ? { attachments: toAttachments(item.attachments) }
      : {}),
  };
}

export function subscriptionItem(subscription: Subscription, expiresAt: number): Item {
  return {
    ...keys.subscription(subscription.roomId, subscription.connectionId),
    type: 'subscription',
    room_id: subscription.roomId,
    connection_id: subscription.connectionId,
    user_id: subscription.userId,
    role: subscription.role,
    connected_at: subscription.connectedAt,
    ttl: expiresAt,
  };
}

export function toSubscription(item: Item): Subscription {
  return {
    roomId: String(item.room_id),
    connectionId: String(item.connection_id),
    userId: String(item.user_id),
    role: roleOf(item.role),
    connectedAt: Number(item.connected_at),
  };
}

export function toConnection(item: Item): Connection {
  return {
    connectionId: String(item.connection_id),
    userId: String(item.user_id),
    role: roleOf(item.role),
    connectedAt: Number(item.connected_at),
    rooms: toStringArray(item.rooms),
    followsQueue: item.follows_queue === true,
  };
}

/** The room item's `T#<user>` attributes: until when each user typing said they were. */
function typists(item: Item): { typingUntil?: Map<string, number> } {
  const until = new Map<string, number>();
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(keys.typistPrefix)) until.set(name.slice(keys.typistPrefix.length), Number(value));
  }
  return until.size > 0 ? { typingUntil: until } : {};
}

function readPointers(value: unknown): Map<string, number> {
  const pointers = new Map<string, number>();
  for (const [key, lastRead] of Object.entries((value as Item | undefined) ?? {})) {
    if (key.startsWith(keys.readerPrefix))
      pointers.set(key.slice(keys.readerPrefix.length), Number(lastRead));
  }
  return pointers;
}
