/**
 * Every key of the chat table is spelled here and nowhere else.
 *
 * User ids come from tokens and may contain anything, including `#`; they are percent-encoded inside keys so
 * that `a#b` + `c` can never collide with `a` + `b#c`.
 */
const enc = (part: string) => encodeURIComponent(part);
const SEQ_DIGITS = 12;

export const pad = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;
/** Customer presence is spread over this many partitions (by user), so sign-in storms have no hot key. */
export const CUSTOMER_PRESENCE_SHARDS = 16;

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
  message: (roomId: string, seq: number) => ({ pk: `ROOM#${roomId}`, sk: `MSG#${pad(seq)}` }),
  messagePrefix: 'MSG#',
  /** Claims a client_message_id for one sender in one room, so a resend cannot store a second copy. */
  claim: (roomId: string, senderId: string, clientMessageId: string) => ({
    pk: `ROOM#${roomId}`,
    sk: `CMID#${enc(senderId)}#${clientMessageId}`,
  }),
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
  /**
   * A user's read pointer in the room item's `reads` map. The SDK reads a map into a plain object, where a key
   * `__proto__` would vanish, so every key carries a prefix.
   */
  reader: (userId: string) => `U#${userId}`,
  readerPrefix: 'U#',

  /** gsi1: a customer's rooms. */
  customerRooms: (customerId: string) => `CUSTOMER#${enc(customerId)}`,
  /** gsi1: the open rooms a staff member has joined (member items). */
  staffRooms: (staffId: string) => `STAFF#${enc(staffId)}`,
  /** gsi2: open rooms, sharded. */
  openRooms: (shard: number) => `OPEN#${shard}`,
  /** Sort keys that order by time and stay unique. */
  timeOrdered: (isoTime: string, roomId: string) => `${isoTime}#${roomId}`,
} as const;
