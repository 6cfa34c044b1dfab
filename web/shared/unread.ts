import type { Message, Role } from '../../client/wire.js';

/**
 * An unread count the server gave me (a room's `unread_count`, from an HTTP answer or a queue summary): the
 * messages of the other side after my read pointer, up to `lastMessageId`. `lastRead` is my pointer as far as
 * the page knew it when the count came (at least `lastMessageId - count`).
 */
export interface UnreadSnapshot {
  readonly lastMessageId: number;
  readonly lastRead: number;
  readonly count: number;
}

/**
 * My unread count in one room: messages of the other side (for staff the customer's, for the customer
 * support's; a colleague's reply is not news) after my read pointer. The server counts them from the room
 * item (`unreadCount` in lambdas/domain/types.ts); the page adds what arrived since its count and takes away
 * what I read since, counting the messages it holds where it can.
 */
export function unreadOf(input: {
  readonly lastMessageId: number;
  readonly lastRead: number;
  readonly myRole: Role;
  /** The messages the page holds, any subset of the room's, in id order. */
  readonly messages: readonly Message[];
  readonly snapshot: UnreadSnapshot | null;
}): number {
  const { lastMessageId, lastRead, myRole, messages, snapshot } = input;
  if (lastRead >= lastMessageId) return 0;
  const counts = (message: Message) => message.id > lastRead && message.sender_role !== myRole;
  // Beyond the server's count (or all of it, without one): the messages the page holds.
  const countedUpTo = snapshot ? Math.max(snapshot.lastMessageId, lastRead) : lastRead;
  const since = messages.filter((message) => message.id > countedUpTo && counts(message)).length;
  if (!snapshot || snapshot.lastMessageId <= lastRead) return since;
  if (lastRead <= snapshot.lastRead) return snapshot.count + since;
  // I read part of what the server counted: count it from the messages held, when the page holds it all.
  const held = messages.filter((message) => message.id > lastRead && message.id <= snapshot.lastMessageId);
  if (held.length === snapshot.lastMessageId - lastRead) return held.filter(counts).length + since;
  return Math.min(snapshot.count, snapshot.lastMessageId - lastRead) + since;
}
