import { AlreadyAssigned } from '../domain/assignment-errors.js';
import type { AppError } from '../domain/errors.js';
import { RateLimited } from '../domain/limits.js';
import { emailConfirmed, type Profile } from '../domain/profiles.js';
import type {
  Message,
  MessageAttachment,
  MessagePage,
  OnlineUser,
  Page,
  RoomDetail,
  RoomView,
} from '../domain/types.js';

/**
 * The wire shapes of the HTTP API and the frames: snake_case JSON, as the original Django service spoke it.
 * Domain objects are camelCase; this is the one place where one becomes the other.
 */

export interface MessageJson {
  id: number;
  room_id: string;
  sender_id: string;
  sender_role: string;
  content: string;
  created_at: string;
  client_message_id: string | null;
  /** Only on internal notes: a public message leaves it out. */
  visibility?: 'internal';
  /** Absent when the message cites no file. */
  attachments?: readonly AttachmentJson[];
}

export interface AttachmentJson {
  id: string;
  name: string;
  size: number;
  content_type: string;
  has_thumbnail: boolean;
}

export const attachmentJson = (a: MessageAttachment): AttachmentJson => ({
  id: a.id,
  name: a.name,
  size: a.size,
  content_type: a.contentType,
  has_thumbnail: a.hasThumbnail,
});

export function messageJson(message: Message): MessageJson {
  return {
    id: message.id,
    room_id: message.roomId,
    sender_id: message.senderId,
    sender_role: message.senderRole,
    content: message.content,
    created_at: message.createdAt,
    client_message_id: message.clientMessageId,
    ...(message.visibility === 'internal' ? { visibility: 'internal' as const } : {}),
    ...(message.attachments?.length ? { attachments: message.attachments.map(attachmentJson) } : {}),
  };
}

export function roomJson(room: RoomView) {
  return {
    id: room.id,
    room_type: room.roomType,
    subject: room.subject,
    status: room.status,
    customer_id: room.customerId,
    customer_name: room.customerName,
    staff_ids: [...room.staffIds],
    created_at: room.createdAt,
    last_activity_at: room.lastActivityAt,
    closed_at: room.closedAt,
    closed_by: room.closedBy,
    // Who has the room (docs/assignment.md), and since when; queue summaries carry them too.
    assignee_id: room.assigneeId,
    assigned_at: room.assignedAt,
    last_message_id: room.lastMessageId,
    last_message: room.lastMessage && {
      id: room.lastMessage.id,
      sender_id: room.lastMessage.senderId,
      sender_role: room.lastMessage.senderRole,
      preview: room.lastMessage.preview,
      created_at: room.lastMessage.createdAt,
    },
    unread_count: room.unreadCount,
    // Lets a client order this answer against the queue's summaries of the same room (the higher is newer).
    version: room.version,
  };
}

/**
 * One room of a `queue` frame: the room as the follower sees it (the JSON of the active-rooms list, with the
 * follower's own unread count), plus what a console needs to keep it without other frames: `version` (keep
 * the highest; a redelivered or retried frame may carry an older one), every read pointer, and who is typing.
 */
export function queueSummaryJson(room: RoomView, typing: readonly string[]) {
  return {
    ...roomJson(room),
    version: room.version,
    reads: Object.fromEntries(room.reads),
    typing: [...typing],
  };
}

export function roomDetailJson(room: RoomDetail) {
  return {
    ...roomJson(room),
    members: room.members.map((member) => ({
      user_id: member.userId,
      role: member.role,
      last_read: member.lastRead,
      is_online: member.isOnline,
      name: member.name,
    })),
    customer: {
      user_id: room.customer.userId,
      name: room.customer.name,
      email: room.customer.email,
      kind: room.customer.kind,
      verified: room.customer.verified,
      verified_fields: room.customer.verifiedFields,
      email_confirmed: room.customer.emailConfirmed,
      page_url: room.customer.pageUrl,
    },
  };
}

/** A person's own profile, as `GET` and `POST /api/chat/profile/` answer it. */
export function profileJson(profile: Profile) {
  return {
    user_id: profile.userId,
    kind: profile.kind,
    name: profile.name,
    email: profile.email,
    verified: profile.verified,
    email_confirmed: emailConfirmed(profile),
  };
}

export function roomPageJson(page: Page<RoomView>) {
  return { results: page.items.map(roomJson), next_cursor: page.nextCursor };
}

export function messagePageJson(page: MessagePage) {
  return { results: page.items.map(messageJson), has_more: page.hasMore };
}

/** `checkedAt`: when the list was read (epoch ms), so a client can tell which presence frames are newer. */
export function onlineStaffJson(users: readonly OnlineUser[], checkedAt: number) {
  return {
    results: users.map((user) => ({
      user_id: user.userId,
      role: user.role,
      connections: user.connections,
      online_since: user.onlineSince,
    })),
    // The whole list in one page; the field keeps the shape every other list has.
    next_cursor: null,
    checked_at: new Date(checkedAt).toISOString(),
  };
}

/** "Is support online" for customers and visitors: a yes or no, no ids and no count. */
export function supportStatusJson(status: { readonly online: boolean; readonly checkedAt: number }) {
  return { online: status.online, checked_at: new Date(status.checkedAt).toISOString() };
}

/**
 * A typed error as both APIs show it: the HTTP body's `error` and the `error` frame's data (which adds the
 * offending frame's fields). `retry_after` (seconds) comes with `rate_limited`.
 */
export function errorJson(error: AppError) {
  const retryAfter = error instanceof RateLimited ? error.retryAfterSeconds : undefined;
  return {
    code: error.code,
    message: error.message,
    ...(error.details ? { details: error.details } : {}),
    ...(retryAfter !== undefined ? { retry_after: retryAfter } : {}),
    ...(error instanceof AlreadyAssigned ? { assignee_id: error.assigneeId } : {}),
  };
}

/**
 * A page of past conversations (closed rooms, a customer's rooms): the rooms, and `closers`, the display name
 * of each person who closed one (`closed_by` → name or null), so a list can say who without a read per room.
 */
export function historyPageJson(
  page: Page<RoomView> & { readonly closers: ReadonlyMap<string, string | null> },
) {
  return { ...roomPageJson(page), closers: Object.fromEntries(page.closers) };
}
