/**
 * The wire shapes of the chat API as a client sees them: snake_case JSON, exactly as the server sends it
 * (`lambdas/protocol/json.ts` and `lambdas/protocol/frames.ts`; test/client/wire.test.ts checks at compile
 * time that the two agree).
 */

export type Role = 'customer' | 'staff';
export type RoomStatus = 'open' | 'closed';

export interface Message {
  /** Sequence number in its room: 1, 2, 3, ... Clients order by it. */
  readonly id: number;
  readonly room_id: string;
  readonly sender_id: string;
  readonly sender_role: Role;
  readonly content: string;
  readonly created_at: string;
  readonly client_message_id: string | null;
  /** Only on an internal note (staff alone ever receive one); absent on every message. */
  readonly visibility?: 'internal';
  /** The files it carries; absent when none. */
  readonly attachments?: readonly Attachment[];
}

/** A file a message carries: fetch it with `GET /api/chat/rooms/{id}/attachments/{attachment_id}/`. */
export interface Attachment {
  readonly id: string;
  readonly name: string;
  /** In bytes. */
  readonly size: number;
  readonly content_type: string;
  /** Images: a thumbnail of at most 320 px exists (`?variant=thumbnail`). */
  readonly has_thumbnail: boolean;
}

/** `POST /api/chat/rooms/{id}/attachments/`: post `upload.fields`, then the file, to `upload.url`. */
export interface CreatedAttachment {
  readonly attachment: Attachment & { readonly created_at: string };
  readonly upload: PresignedUpload;
  readonly thumbnail_upload?: PresignedUpload;
  /** Seconds the upload forms are good for. */
  readonly expires_in: number;
}

export interface PresignedUpload {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** `GET /api/chat/rooms/{id}/attachments/{attachment_id}/`: a URL that works for `expires_in` seconds. */
export interface AttachmentDownload {
  readonly attachment: Attachment;
  readonly url: string;
  readonly expires_in: number;
}

export interface MessagePreview {
  readonly id: number;
  readonly sender_id: string;
  readonly sender_role: Role;
  readonly preview: string;
  readonly created_at: string;
}

/** A room as the caller sees it (`unread_count` is the caller's). */
export interface Room {
  readonly id: string;
  readonly room_type: string;
  readonly subject: string;
  readonly status: RoomStatus;
  readonly customer_id: string;
  /**
   * The customer's display name, as the room keeps it (at most 48 UTF-8 bytes, cut with an ellipsis); null
   * when they gave none. The full name is the room detail's `customer.name`.
   */
  readonly customer_name: string | null;
  readonly staff_ids: readonly string[];
  readonly created_at: string;
  readonly last_activity_at: string;
  readonly closed_at: string | null;
  readonly closed_by: string | null;
  /**
   * The staff member who has the room (answers it; others may help); null when nobody has it. Change it with
   * `POST /api/chat/rooms/{id}/assign/`.
   */
  readonly assignee_id: string | null;
  /** When the assignee last changed (assigned, transferred or unassigned), ISO-8601; null when it never did. */
  readonly assigned_at: string | null;
  /** Id of the newest message; 0 for an empty room. */
  readonly last_message_id: number;
  readonly last_message: MessagePreview | null;
  readonly unread_count: number;
  /**
   * Incremented by every write of the room item: of two snapshots of one room (an HTTP answer, a `room`
   * frame, a queue summary), the one with the higher version is the newer.
   */
  readonly version: number;
}

export interface RoomMember {
  readonly user_id: string;
  readonly role: Role;
  /** Id of the newest message this member has read. */
  readonly last_read: number;
  readonly is_online: boolean;
  /** Their display name (a guest linked to a verified user shows as that user); null when none. */
  readonly name: string | null;
}

/** `guest`: a visitor without an account; `verified`: a host site's signed-in user; `account`: Cognito / OIDC. */
export type UserKind = 'guest' | 'verified' | 'account';

/** Who the room's customer is (staff and the customer themselves see it). */
export interface RoomCustomer {
  readonly user_id: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly kind: UserKind;
  /** Whether the host site's identity token vouched for them. */
  readonly verified: boolean;
  /**
   * Which of `name` and `email` the identity token vouched for; a verified customer states the others
   * themselves, and the console marks them so.
   */
  readonly verified_fields: readonly ('name' | 'email')[];
  /** Whether their address is proved (identity token or confirmation link): staff replies reach it by email. */
  readonly email_confirmed: boolean;
  /** The page the chat was opened from (an http(s) URL, as the widget reported it); null when unknown. */
  readonly page_url: string | null;
}

export interface RoomDetail extends Room {
  readonly members: readonly RoomMember[];
  readonly customer: RoomCustomer;
}

/** `GET` / `POST /api/chat/profile/`: the caller's own profile. */
export interface Profile {
  readonly user_id: string;
  readonly kind: UserKind;
  readonly name: string | null;
  readonly email: string | null;
  readonly verified: boolean;
  /**
   * Whether `email` is proved (the host site's identity token vouched for it, or a confirmation link was
   * opened for this very address): only then do staff replies reach it by email while the person is away.
   */
  readonly email_confirmed: boolean;
}

/**
 * `POST /api/chat/email-confirmations/`: `sent`, a link is on its way to `email` (good until `expires_at`,
 * epoch seconds); `verified`, the address is proved already and nothing was sent.
 */
export type EmailConfirmationRequest =
  | { readonly status: 'sent'; readonly email: string; readonly expires_at: number }
  | { readonly status: 'verified'; readonly email: string };

/** `POST /api/chat/email-confirmations/{token}`: the link was spent, and `email` is confirmed. */
export interface EmailConfirmed {
  readonly status: 'confirmed';
  readonly email: string;
}

/** `POST /api/chat/profile/`: an absent field stays as it is. */
export interface ProfileUpdate {
  /** 1 to 80 characters once trimmed, no control characters. */
  readonly name?: string;
  /** One `@`, at most 254 characters. */
  readonly email?: string;
}

export interface RoomPage {
  readonly results: readonly Room[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly next_cursor: string | null;
}

/** A page of past conversations (`closed-rooms`, a customer's rooms): rooms, and who closed them by name. */
export interface HistoryPage extends RoomPage {
  /** `closed_by` → that person's display name, or null when their profile has none. */
  readonly closers: Readonly<Record<string, string | null>>;
}

export interface MessagePage {
  /** Ascending by id, whichever direction was asked for. */
  readonly results: readonly Message[];
  /** Whether more messages lie beyond this page in the direction it was read. */
  readonly has_more: boolean;
}

export interface OnlineStaffMember {
  readonly user_id: string;
  readonly role: Role;
  readonly connections: number;
  readonly online_since: string;
}

/** `GET /api/chat/online-staff/`: the staff with a live socket, as read at `checked_at`. */
export interface OnlineStaffPage {
  readonly results: readonly OnlineStaffMember[];
  readonly next_cursor: null;
  /** When the answer was read (ISO-8601, ms): presence frames with a later `at` are newer than it. */
  readonly checked_at: string;
}

/**
 * `GET /api/chat/support-status/`: whether anyone from support is online, for customers and visitors (no ids,
 * no count). Public and shared: the same answer for everyone, cached for a few seconds.
 */
export interface SupportStatus {
  readonly online: boolean;
  /** When the answer was read (ISO-8601, ms): presence frames with a later `at` are newer than it. */
  readonly checked_at: string;
}

export interface ReadState {
  readonly room_id: string;
  readonly user_id: string;
  readonly last_read: number;
  readonly unread_count: number;
}

export interface WsTicket {
  readonly ticket: string;
  /** Seconds the ticket stays good for one connection. */
  readonly expires_in: number;
}

export interface NewRoom {
  /** 1 to 32 lowercase letters, digits, `-` or `_`. @default 'general' */
  readonly room_type?: string;
  /** At most 200 characters. @default '' */
  readonly subject?: string;
  /** The page the chat was opened from (the embedding site's page): an http(s) URL, at most 2048. */
  readonly page_url?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Frames

export interface AckData {
  readonly client_message_id: string | null;
  /** True when the server had already stored this client_message_id: nothing new was stored. */
  readonly duplicate: boolean;
  readonly message: Message;
}

export interface TypingData {
  readonly room_id: string;
  readonly user_id: string;
  readonly role: Role;
  readonly is_typing: boolean;
}

export interface ReadReceiptData {
  readonly room_id: string;
  readonly user_id: string;
  readonly role: Role;
  readonly message_id: number;
  readonly read_at: string;
}

export interface PresenceData {
  readonly user_id: string;
  readonly role: Role;
  readonly is_online: boolean;
  /**
   * Orders one user's presence frames: a frame with a version at or below one already seen for that user is
   * older news (a late "offline" behind a newer "online") and is ignored. Per user, not comparable across users.
   */
  readonly version: number;
  /** When the server decided the change (ISO-8601, ms): newer than an HTTP snapshot whose `checked_at` is earlier. */
  readonly at: string;
}

export type RoomEventName = 'created' | 'joined' | 'left' | 'closed' | 'assigned' | 'subscribed';

export type RoomEventData =
  | {
      readonly event: RoomEventName;
      readonly room_id: string;
      /** Who caused the event (for `subscribed`, the socket's own user). */
      readonly user_id: string;
      readonly room: Room;
    }
  | { readonly event: 'unsubscribed'; readonly room_id: string; readonly user_id: string };

/** The answer to `{"type":"subscribe","queue":true}` or `unsubscribe` (staff): this socket's staff queue. */
export interface QueueEventData {
  readonly event: 'subscribed' | 'unsubscribed';
  readonly queue: true;
  /** The socket's own user. */
  readonly user_id: string;
}

/**
 * One room in a `queue` frame: the room as `GET /api/chat/active-rooms` shows it (`unread_count` is the
 * socket's own user's), with every read pointer and who is typing.
 */
export interface RoomSummary extends Room {
  /** The newest message id each member has read, by user id. */
  readonly reads: Readonly<Record<string, number>>;
  /** Users whose latest typing frame said `is_typing: true` when the summary was made; empty when none. */
  readonly typing: readonly string[];
}

/** A `queue` frame: one summary per room that changed since the socket's previous one. */
export interface QueueData {
  readonly rooms: readonly RoomSummary[];
}

export interface ErrorData {
  readonly code: string;
  readonly message: string;
  /** Echoed from the frame that failed, so a client can match the error to what it sent. */
  readonly frame_type?: string;
  readonly room_id?: string;
  readonly client_message_id?: string;
  readonly details?: readonly { readonly field: string; readonly message: string }[];
  readonly request_id?: string;
  /** With `rate_limited`: seconds until the limit allows the frame again. */
  readonly retry_after?: number;
}

/** Every frame the server sends. */
export type ServerFrame =
  | { readonly type: 'message'; readonly data: Message }
  /** An internal note in a followed room: staff sockets only, numbered apart from the messages. */
  | { readonly type: 'note'; readonly data: Message }
  | { readonly type: 'ack'; readonly data: AckData }
  | { readonly type: 'typing'; readonly data: TypingData }
  | { readonly type: 'read_receipt'; readonly data: ReadReceiptData }
  | { readonly type: 'presence'; readonly data: PresenceData }
  | { readonly type: 'room'; readonly data: RoomEventData | QueueEventData }
  | { readonly type: 'queue'; readonly data: QueueData }
  | { readonly type: 'pong'; readonly data: { readonly time: string } }
  | { readonly type: 'error'; readonly data: ErrorData };

/** Every frame a client sends. */
export type ClientFrame =
  | {
      type: 'message';
      content: string;
      room_id?: string;
      client_message_id?: string;
      visibility?: 'public' | 'internal';
    }
  | { type: 'typing'; is_typing: boolean; room_id?: string }
  | { type: 'read'; message_id: number; room_id?: string }
  | { type: 'subscribe'; room_id: string }
  | { type: 'unsubscribe'; room_id: string }
  | { type: 'subscribe' | 'unsubscribe'; queue: true }
  | { type: 'ping' };
