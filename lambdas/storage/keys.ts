/**
 * Every key of the chat table is spelled here and nowhere else.
 *
 * User ids come from tokens and may contain anything, including `#`; they are percent-encoded inside keys so
 * that `a#b` + `c` can never collide with `a` + `b#c`.
 */
import { createHash } from 'node:crypto';

const enc = (part: string) => encodeURIComponent(part);
const SEQ_DIGITS = 12;

export const pad = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;
/** Customer presence is spread over this many partitions (by user), so sign-in storms have no hot key. */
export const CUSTOMER_PRESENCE_SHARDS = 16;
/** `YYYY-MM-DDTHH` of an ISO time: the open-rooms index orders rooms by the hour of their last activity. */
const ACTIVITY_BUCKET_CHARS = 13;

/** FNV-1a: a stable, well-spread hash for picking a shard. */
export function shardOf(value: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

export const keys = {
  room: (roomId: string) => ({ pk: `ROOM#${roomId}`, sk: 'ROOM' }),
  /** The room id a key of the room's partition (`ROOM#<id>`) names. */
  roomIdOfKey: (pk: string) => pk.slice('ROOM#'.length),
  roomSortKey: 'ROOM',
  message: (roomId: string, seq: number) => ({ pk: `ROOM#${roomId}`, sk: `MSG#${pad(seq)}` }),
  messagePrefix: 'MSG#',
  /** An internal note: in the room's partition, numbered apart from its messages (lambdas/domain/notes.ts). */
  note: (roomId: string, seq: number) => ({ pk: `ROOM#${roomId}`, sk: `NOTE#${pad(seq)}` }),
  notePrefix: 'NOTE#',
  /** The room's note counter: an item of its own, so a note never writes (or versions) the room item. */
  noteCounter: (roomId: string) => ({ pk: `ROOM#${roomId}`, sk: 'NOTESEQ' }),
  /** Claims a client_message_id for one note sender in one room, as `claim` does for messages. */
  noteClaim: (roomId: string, senderId: string, clientMessageId: string) => ({
    pk: `ROOM#${roomId}`,
    sk: `NCMID#${enc(senderId)}#${clientMessageId}`,
  }),
  /** The team's canned replies, one small partition (their number is bounded). */
  cannedReply: (replyId: string) => ({ pk: 'CANNED', sk: `REPLY#${replyId}` }),
  cannedReplies: 'CANNED',
  cannedReplyPrefix: 'REPLY#',
  /** A shortcut taken by one canned reply: the conditional put that keeps shortcuts unique. */
  cannedShortcut: (shortcut: string) => ({ pk: 'CANNED', sk: `SHORTCUT#${enc(shortcut)}` }),
  /** How many canned replies the team has, kept under the limit by a conditional update. */
  cannedCount: { pk: 'CANNED', sk: 'COUNT' },
  /** Claims a client_message_id for one sender in one room, so a resend cannot store a second copy. */
  claim: (roomId: string, senderId: string, clientMessageId: string) => ({
    pk: `ROOM#${roomId}`,
    sk: `CMID#${enc(senderId)}#${clientMessageId}`,
  }),
  /**
   * The room's entry in its customer's list (gsi1): an item of its own, so that the room item, written by every
   * message, is in no index that projects it.
   */
  customerRoom: (roomId: string) => ({ pk: `ROOM#${roomId}`, sk: 'CUSTOMER' }),
  /** Where a room was opened (its page URL): written once, beside the room item, so messages never carry it. */
  roomContext: (roomId: string) => ({ pk: `ROOM#${roomId}`, sk: 'CONTEXT' }),
  /** One upload to a room (lambdas/storage/attachment-store.ts), beside its messages. */
  attachment: (roomId: string, attachmentId: string) => ({ pk: `ROOM#${roomId}`, sk: `ATT#${attachmentId}` }),
  member: (roomId: string, userId: string) => ({ pk: `ROOM#${roomId}`, sk: `MEMBER#${enc(userId)}` }),
  connection: (connectionId: string) => ({ pk: `CONN#${connectionId}`, sk: 'CONN' }),
  subscription: (roomId: string, connectionId: string) => ({ pk: `SUB#${roomId}`, sk: connectionId }),
  subscriptionsOf: (roomId: string) => `SUB#${roomId}`,
  /** Staff sockets that follow every open room. */
  queueFollower: (connectionId: string) => ({ pk: 'QUEUE', sk: connectionId }),
  queueFollowers: 'QUEUE',
  presencePartition: (role: 'customer' | 'staff', userId: string) =>
    role === 'staff' ? 'PRESENCE#staff' : `PRESENCE#customer#${shardOf(userId, CUSTOMER_PRESENCE_SHARDS)}`,
  presence: (role: 'customer' | 'staff', userId: string, connectionId: string) => ({
    pk: keys.presencePartition(role, userId),
    sk: `${enc(userId)}#${connectionId}`,
  }),
  presenceOfUser: (userId: string) => `${enc(userId)}#`,
  /** A user's presence version, the counter that orders their online / offline announcements. */
  presenceVersion: (role: 'customer' | 'staff', userId: string) => ({
    pk: `PVERSION#${role}#${enc(userId)}`,
    sk: 'PVERSION',
  }),
  /** One fixed window of a rate limit; `windowStart` is in epoch seconds. */
  limit: (name: string, subject: string, windowStart: number) => ({
    pk: `LIMIT#${name}#${enc(subject)}`,
    sk: String(windowStart),
  }),
  ticket: (ticketHash: string) => ({ pk: `TICKET#${ticketHash}`, sk: 'TICKET' }),
  /** Auto-assignment's round-robin turn: one counter for every container (docs/assignment.md). */
  assignmentTurn: { pk: 'ASSIGN', sk: 'TURN' },
  /** The open rooms assigned to one staff member, as a set of ids: what auto-assignment's cap counts. */
  staffLoad: (staffId: string) => ({ pk: `LOAD#${enc(staffId)}`, sk: 'LOAD' }),
  /** A session's refresh secret, by its SHA-256 hash (the secret itself is never stored). */
  refresh: (secretHash: string) => ({ pk: `REFRESH#${secretHash}`, sk: 'REFRESH' }),
  /** An identity token's `jti`, recorded when the token is used, so that it works once. */
  identityJti: (jti: string) => ({ pk: `IDJTI#${enc(jti)}`, sk: 'IDJTI' }),
  /** Until when (epoch ms) a room's customer gets no other reply email: one per conversation per window. */
  replyEmail: (roomId: string) => ({ pk: `ROOM#${roomId}`, sk: 'EMAIL' }),
  /** That the team was told of a new room (once, whatever the stream's retries). */
  roomNotice: (roomId: string) => ({ pk: `ROOM#${roomId}`, sk: 'NOTICE' }),
  /** An email confirmation link, by the SHA-256 hash of its one-time token (the token is never stored). */
  emailConfirmation: (tokenHash: string) => ({ pk: `EMAILCONF#${tokenHash}`, sk: 'EMAILCONF' }),
  /** A person's profile (display name, email, verified or not): outside the room item on purpose. */
  profile: (userId: string) => ({ pk: `PROFILE#${enc(userId)}`, sk: 'PROFILE' }),
  /**
   * A user's read pointer in the room item's `reads` map. The SDK reads a map into a plain object, where a key
   * `__proto__` would vanish, so every key carries a prefix.
   */
  reader: (userId: string) => `U#${userId}`,
  readerPrefix: 'U#',
  /**
   * Until when (epoch ms) a user is typing in a room: an attribute of the room item, so that typing moves the
   * room's version and reaches the staff queue through the table's stream in order with everything else.
   */
  typist: (userId: string) => `T#${userId}`,
  typistPrefix: 'T#',
  /**
   * A staff reader's count of staff messages at their read pointer (`R#` and 6 characters of the SHA-256 of
   * their id): an attribute of the room item, which every message rewrites, so its name is short whatever the
   * id's length (8 bytes; the full id would take 38 for a UUID). 36 bits: two staff members of one room share
   * a name about once in 10^11 rooms of two (once in 10^9 rooms of ten), and then only their unread counts
   * mix. Found by the ids of the read pointers, never by scanning names. See `unreadCount` in
   * `lambdas/domain/types.ts`.
   */
  staffCountAtRead: (userId: string) =>
    `R#${createHash('sha256').update(userId).digest('base64url').slice(0, 6)}`,
  /** The room item's running count of staff messages (ids taken by staff sends). */
  staffCount: 'sc',
  /** The room item's holes (ids taken, message not stored) that staff sends left: rare, so no item carries it. */
  staffHoles: 'sh',

  /** gsi1: a customer's rooms. */
  customerRooms: (customerId: string) => `CUSTOMER#${enc(customerId)}`,
  /** gsi1: the open rooms a staff member has joined (member items). */
  staffRooms: (staffId: string) => `STAFF#${enc(staffId)}`,
  /** gsi3 (and the legacy gsi2): open rooms, sharded. */
  openRooms: (shard: number) => `OPEN#${shard}`,
  /** The open-rooms partition a room lives in. */
  openRoomsOf: (roomId: string, shards: number) => keys.openRooms(shardOf(roomId, shards)),
  /** gsi3 too: closed rooms, sharded like the open ones (lambdas/storage/closed-rooms.ts). */
  closedRooms: (shard: number) => `CLOSED#${shard}`,
  /** The closed-rooms partition a room moves to when it closes. */
  closedRoomsOf: (roomId: string, shards: number) => keys.closedRooms(shardOf(roomId, shards)),
  /**
   * gsi3's sort key: the hour of the room's last activity, then its id. Coarser than the activity itself on
   * purpose: the entry moves when the hour changes, not with every message. Each room's hours start at a
   * minute of its own (0-59, by its id), so busy rooms' entries move spread over the hour rather than all in
   * the first seconds after it: a room's hour is that of its last activity less its offset.
   */
  openRoomsSort: (isoTime: string, roomId: string) => {
    const shifted = new Date(Date.parse(isoTime) - shardOf(roomId, 60) * 60_000).toISOString();
    return `${shifted.slice(0, ACTIVITY_BUCKET_CHARS)}#${roomId}`;
  },
  /** Sort keys that order by time and stay unique. */
  timeOrdered: (isoTime: string, roomId: string) => `${isoTime}#${roomId}`,
} as const;
