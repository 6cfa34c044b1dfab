import type { UserKind } from './namespaces.js';

/** The two kinds of people in a support chat. */
export const Role = { customer: 'customer', staff: 'staff' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Who is asking, as established by a verified token; never taken from a body or a frame. */
export interface Actor {
  readonly userId: string;
  readonly role: Role;
}

export const RoomStatus = { open: 'open', closed: 'closed' } as const;
export type RoomStatus = (typeof RoomStatus)[keyof typeof RoomStatus];

export interface MessagePreview {
  readonly id: number;
  readonly senderId: string;
  readonly senderRole: Role;
  readonly preview: string;
  readonly createdAt: string;
}

export interface Room {
  readonly id: string;
  readonly roomType: string;
  readonly subject: string;
  readonly status: RoomStatus;
  readonly customerId: string;
  /**
   * The customer's display name when the room was created or their profile's name last changed, clipped to
   * fit the room item (`customerNameOnRoom`); null when they have none. The full name is in their profile.
   */
  readonly customerName: string | null;
  readonly staffIds: readonly string[];
  readonly createdAt: string;
  readonly lastActivityAt: string;
  readonly closedAt: string | null;
  readonly closedBy: string | null;
  /**
   * The one staff member who has the room (docs/assignment.md); null when nobody has it. Others may still join
   * and write to help. An assignee is always a member of the room.
   */
  readonly assigneeId: string | null;
  /** When the assignee last changed (assigned, transferred or unassigned); null when it never did. */
  readonly assignedAt: string | null;
  /** Id of the newest stored message; 0 for an empty room. */
  readonly lastMessageId: number;
  readonly lastMessage: MessagePreview | null;
  /**
   * Ids at or below `lastMessageId` that a send took but could not store (its message put failed), until a
   * resend with the same `client_message_id` stores it under that id. Usually empty.
   */
  readonly holes?: readonly number[];
  /**
   * The {@link holes} a staff send took (counted in {@link staffMessages} when it took its id): staff unread
   * counts take them away once, not twice. Usually empty.
   */
  readonly staffHoles?: readonly number[];
  /** Who has said they are typing, with until when (epoch ms); absent or past means not typing. */
  readonly typingUntil?: ReadonlyMap<string, number>;
  /** Read pointers by user id (a Map: user ids such as `__proto__` are ordinary keys here). */
  readonly reads: ReadonlyMap<string, number>;
  /** Staff messages so far (ids taken by staff sends), for staff unread counts; absent: none counted yet. */
  readonly staffMessages?: number;
  /** Each staff reader's {@link staffMessages} as it stood at their read pointer; absent: none. */
  readonly staffMessagesRead?: ReadonlyMap<string, number>;
  /**
   * Goes up by one with every write of the room (created: 1; each message, read, join, leave, close, …), so of
   * two copies of a room the one with the higher version is the newer, whatever order they arrived in.
   */
  readonly version: number;
}

/** Who may see a message: everyone in the room, or staff alone (an internal note, lambdas/domain/notes.ts). */
export const Visibility = { public: 'public', internal: 'internal' } as const;
export type Visibility = (typeof Visibility)[keyof typeof Visibility];

export interface Message {
  /** Sequence number in its room: 1, 2, 3, ... (an internal note's: its number among the room's notes) */
  readonly id: number;
  readonly roomId: string;
  readonly senderId: string;
  readonly senderRole: Role;
  readonly content: string;
  readonly createdAt: string;
  readonly clientMessageId: string | null;
  /** Absent means public; `internal` is a note, which never reaches a customer. */
  readonly visibility?: Visibility;
  /** Files the message cites (lambdas/domain/attachments.ts); absent or empty: none. */
  readonly attachments?: readonly MessageAttachment[];
}

/** An attachment as a message carries it: enough to show a chip or a thumbnail without another read. */
export interface MessageAttachment {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
  /** Whether a thumbnail (at most 320 px, drawn by the sender's browser) was uploaded with it. */
  readonly hasThumbnail: boolean;
}

export interface RoomMember {
  readonly userId: string;
  readonly role: Role;
  readonly lastRead: number;
  readonly isOnline: boolean;
  /** Their display name (a linked guest's is the verified person's), null when they have none. */
  readonly name: string | null;
}

/** Who a room's customer is, for staff and the customer themselves. */
export interface RoomCustomer {
  readonly userId: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly kind: UserKind;
  readonly verified: boolean;
  /**
   * The fields the identity token vouched for (`name`, `email`); a verified user may state the others
   * themselves (the pre-chat form), and staff must be able to tell the two apart.
   */
  readonly verifiedFields: readonly ('name' | 'email')[];
  /** Whether their address is proved (by the identity token or a confirmation link): replies may be emailed. */
  readonly emailConfirmed: boolean;
  /** The page the chat was opened from, as the widget said; null when it said none. */
  readonly pageUrl: string | null;
}

/** A room as one caller sees it. */
export interface RoomView extends Room {
  readonly unreadCount: number;
}

export interface RoomDetail extends RoomView {
  readonly members: readonly RoomMember[];
  readonly customer: RoomCustomer;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; absent on the last page. */
  readonly nextCursor: string | null;
}

export interface MessagePage {
  readonly items: readonly Message[];
  /** Whether more messages lie beyond this page in the direction it was read. */
  readonly hasMore: boolean;
}

/** A live WebSocket connection. */
export interface Connection {
  readonly connectionId: string;
  readonly userId: string;
  readonly role: Role;
  readonly connectedAt: number;
  /** Rooms this connection follows. */
  readonly rooms: readonly string[];
  /** Whether it follows the staff queue (every open room). */
  readonly followsQueue?: boolean;
}

/** A connection that follows a room (or, with an empty roomId, any staff socket): the unit of fan-out. */
export interface Subscription {
  readonly roomId: string;
  readonly connectionId: string;
  readonly userId: string;
  readonly role: Role;
  readonly connectedAt: number;
}

/**
 * The item a socket was found by when frames went to it: a room's subscription, the staff queue, or staff
 * presence. A socket found gone is cleaned up by these keys too, in case its connection item no longer lists them.
 */
export type FoundBy =
  | { readonly kind: 'subscription'; readonly roomId: string }
  | { readonly kind: 'queue' }
  | { readonly kind: 'presence' };

/**
 * One announced change of a user's presence. `version` orders a user's changes (a client keeps the highest
 * it has seen and ignores lower ones); `at` (epoch ms) says when it was decided, to compare with a snapshot
 * read over HTTP at its own `checked_at`. Both are taken after the socket's own write and before the read
 * that decides, so a decision that did not see another's write is the older of the two by both.
 */
export interface PresenceChange {
  readonly isOnline: boolean;
  readonly version: number;
  readonly at: number;
}

export interface OnlineUser {
  readonly userId: string;
  readonly role: Role;
  readonly connections: number;
  readonly onlineSince: string;
}

export interface Ticket {
  readonly userId: string;
  readonly role: Role;
  /** When the token the ticket was issued for expires (epoch seconds): the socket's session ends then too. */
  readonly tokenExpiresAt: number;
}

/**
 * Unread messages for one user, from the room item alone (never a counting query): for the customer the staff
 * messages after their read pointer, for staff the customer messages after theirs (a colleague's reply is not
 * news to answer).
 *
 * The stored messages after a pointer are the newest id minus the pointer, less the holes in between. For the
 * customer every one of them is from staff: the send that takes a customer message's id moves the customer's
 * pointer to it in the same write. For staff, the staff messages among them are taken away: the room counts
 * staff messages as it numbers them (`staffMessages`) and notes that count at each staff reader's pointer
 * whenever the pointer moves (`staffMessagesRead`), so the staff messages after a pointer are the difference.
 * A staff send whose message was never stored is in both the holes and that difference, so it is given back
 * once (`staffHoles`): otherwise a customer message after it would not count.
 * Rooms and pointers from before the count read as zero, which is exact for every message since (their ids
 * are all above any pointer set before), and what the count used to be for older ones.
 */
export function unreadCount(room: Room, userId: string): number {
  const lastRead = room.reads.get(userId) ?? 0;
  const holes = (room.holes ?? []).filter((id) => id > lastRead && id <= room.lastMessageId).length;
  const stored = room.lastMessageId - lastRead - holes;
  if (userId === room.customerId) return Math.max(0, stored);
  const staffAfter = (room.staffMessages ?? 0) - (room.staffMessagesRead?.get(userId) ?? 0);
  // A staff send's hole is among the holes and among the staff messages counted: taken away once.
  const staffHoles = (room.staffHoles ?? []).filter((id) => id > lastRead && id <= room.lastMessageId).length;
  return Math.max(0, stored - Math.max(0, staffAfter) + staffHoles);
}
