import { batch, computed, type ReadonlySignal, type Signal, signal } from '@preact/signals';
import { isNewer, summaryRoom } from '../../client/queue-summaries.js';
import type { PendingSend } from '../../client/socket.js';
import type { Message, Role, Room, RoomCustomer, RoomDetail, RoomSummary } from '../../client/wire.js';
import { type UnreadSnapshot, unreadOf } from './unread.js';

/** Which customer a room names: the panel's details are current while the room still names the same one. */
const customerKey = (room: Pick<Room, 'customer_id' | 'customer_name'>) =>
  JSON.stringify([room.customer_id, room.customer_name]);

/** How long a typing indicator stays without a fresh `is_typing: true`. */
const TYPING_STALE_MS = 6_000;

export interface FailedSend {
  readonly clientMessageId: string;
  readonly content: string;
  readonly reason: string;
}

/** One room as a page shows it: its messages in id order, what is on its way, who types, who has read what. */
export class Conversation {
  readonly room: Signal<Room>;
  readonly messages = signal<readonly Message[]>([]);
  readonly pending = signal<readonly PendingSend[]>([]);
  readonly failed = signal<readonly FailedSend[]>([]);
  /** Users typing now (not me), from the room's own typing frames: while it is followed. */
  readonly typing = signal<readonly { userId: string; role: Role }[]>([]);
  /** Users typing now (not me), as the staff queue's summaries say (the client expires them after 6 s). */
  readonly queueTyping = signal<readonly string[]>([]);
  /** Whether to show "typing…" in a list of rooms: either source says someone types. */
  readonly typingHint = computed(() => this.typing.value.length > 0 || this.queueTyping.value.length > 0);
  /** Who types, as either source says, each once: for "… is typing" in a list of rooms. */
  readonly typists = computed(() => [
    ...new Set([...this.typing.value.map((typist) => typist.userId), ...this.queueTyping.value]),
  ]);
  /** Read pointer of each member. */
  readonly reads = signal<Readonly<Record<string, { role: Role; lastRead: number }>>>({});
  readonly hasOlder = signal(false);
  readonly loadingOlder = signal(false);
  readonly loaded = signal(false);
  /** Who the customer is, from the room detail (staff and the owner): null until it is read. */
  readonly customer = signal<RoomCustomer | null>(null);
  /** The room's `customer_id` and `customer_name` when {@link customer} was read: it is stale once they move. */
  readonly customerReadFor = signal('');
  /** My own read pointer, for the unread count. */
  readonly myLastRead: Signal<number>;
  /** The server's newest count of my unread messages (see {@link unreadOf}). */
  private readonly unreadSnapshot: Signal<UnreadSnapshot>;
  /** My unread messages: the other side's after my pointer (a colleague's reply is not news to staff). */
  readonly unread: ReadonlySignal<number>;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    room: Room,
    private readonly me: string,
    /** My side: "Seen" counts the read pointers of the other side only (not a colleague's). */
    private readonly myRole: Role,
    /** Ids I had before (a guest who signed in), whose messages are mine too. */
    private readonly formerIds: readonly string[] = [],
  ) {
    this.room = signal(room);
    this.myLastRead = signal(Math.max(0, room.last_message_id - room.unread_count));
    this.unreadSnapshot = signal(snapshotOf(room));
    this.unread = computed(() =>
      unreadOf({
        lastMessageId: this.room.value.last_message_id,
        lastRead: this.myLastRead.value,
        myRole: this.myRole,
        messages: this.messages.value,
        snapshot: this.unreadSnapshot.value,
      }),
    );
  }

  /**
   * Whether a message by `userId` is my own: under my id, one I had before, or (for a customer, given the
   * sender's role) any customer's, since a room has one customer, who is me: a guest's messages stay under
   * the guest's id after its rooms became the verified person's, on whichever device that guest was.
   */
  isMine(userId: string, role?: Role): boolean {
    if (this.myRole === 'customer' && role === 'customer') return true;
    return userId === this.me || this.formerIds.includes(userId);
  }

  /**
   * Merges messages of a followed room in, by id: each once, in order, whatever order they came in; moves the
   * preview, the senders' read pointers and their typing along.
   */
  add(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    let newest = messages[0] as Message;
    for (const message of messages) if (message.id > newest.id) newest = message;
    batch(() => {
      const byId = new Map(this.messages.value.map((m) => [m.id, m]));
      for (const message of messages) byId.set(message.id, message);
      this.messages.value = [...byId.values()].sort((a, b) => a.id - b.id);
      const room = this.room.value;
      if (newest.id > room.last_message_id) {
        this.room.value = {
          ...room,
          last_message_id: newest.id,
          last_activity_at: newest.created_at,
          last_message: {
            id: newest.id,
            sender_id: newest.sender_id,
            sender_role: newest.sender_role,
            preview: newest.content.slice(0, 140),
            created_at: newest.created_at,
          },
        };
      }
      for (const message of messages) {
        // A sender has read what they wrote (the server moves their pointer too) and stopped typing.
        this.read(message.sender_id, message.sender_role, message.id);
        this.setTyping(message.sender_id, message.sender_role, false);
      }
    });
  }

  /**
   * Takes a snapshot of the room (an HTTP answer, a room frame, a queue summary) if its `version` is newer
   * than the one shown, and returns whether it did: an older one (a late answer, a retried summary) changes
   * nothing. The newest activity is kept, as messages delivered live may be newer than any snapshot. With
   * `mine`, the snapshot's unread count is the caller's own (HTTP, a summary), so it moves my read pointer
   * forward too.
   */
  update(room: Room, mine = false): boolean {
    const current = this.room.value;
    if (!isNewer(room.version, current.version)) return false;
    batch(() => {
      this.room.value =
        room.last_message_id >= current.last_message_id
          ? room
          : {
              ...room,
              last_message_id: current.last_message_id,
              last_message: current.last_message,
              last_activity_at: current.last_activity_at,
            };
      if (mine) {
        // The count says at least this much of the room is read (its other side's messages may be fewer).
        this.read(this.me, this.myRole, room.last_message_id - room.unread_count);
        this.unreadSnapshot.value = snapshotOf(room);
      }
    });
    return true;
  }

  /**
   * Takes a summary of the staff queue: the room as {@link update} takes it, and every read pointer in it
   * (they only move forward, so an older summary's are harmless). Who types comes apart, as
   * {@link setQueueTyping}.
   */
  summarize(summary: RoomSummary): void {
    batch(() => {
      this.update(summaryRoom(summary), true);
      const customer = summary.customer_id;
      for (const [userId, lastRead] of Object.entries(summary.reads)) {
        this.read(userId, userId === customer ? 'customer' : 'staff', lastRead);
      }
    });
  }

  /** Takes who the customer is from a room detail, noting which name of the room it was read for. */
  setCustomer(detail: Pick<RoomDetail, 'customer' | 'customer_id' | 'customer_name'>): void {
    batch(() => {
      this.customer.value = detail.customer;
      this.customerReadFor.value = customerKey(detail);
    });
  }

  /** Whether {@link customer} was read for the room's current customer and name. */
  readonly customerCurrent = computed(() => this.customerReadFor.value === customerKey(this.room.value));

  /** Who types, as the staff queue says (my own typing left out). */
  setQueueTyping(userIds: readonly string[]): void {
    const others = userIds.filter((id) => !this.isMine(id));
    if (others.length === 0 && this.queueTyping.value.length === 0) return;
    this.queueTyping.value = others;
  }

  /** Forgets the loaded history (the room is no longer followed, so the list would get holes). */
  unload(): void {
    batch(() => {
      this.messages.value = [];
      this.hasOlder.value = false;
      this.loaded.value = false;
    });
  }

  read(userId: string, role: Role, messageId: number): void {
    if (this.isMine(userId, role)) {
      if (messageId > this.myLastRead.value) this.myLastRead.value = messageId;
      return;
    }
    const current = this.reads.value[userId];
    if (current && current.lastRead >= messageId) return;
    this.reads.value = { ...this.reads.value, [userId]: { role, lastRead: messageId } };
  }

  setTyping(userId: string, role: Role, isTyping: boolean): void {
    if (this.isMine(userId, role)) return;
    clearTimeout(this.typingTimers.get(userId));
    this.typingTimers.delete(userId);
    const others = this.typing.value.filter((t) => t.userId !== userId);
    if (isTyping) {
      this.typing.value = [...others, { userId, role }];
      this.typingTimers.set(
        userId,
        setTimeout(() => this.setTyping(userId, role, false), TYPING_STALE_MS),
      );
    } else if (others.length !== this.typing.value.length) {
      this.typing.value = others;
    }
  }

  /**
   * The newest message of mine that the other side has read, for the "Seen" mark: for staff the customer,
   * for the customer anyone from support. A colleague who opened the room or replied has not "seen" it.
   */
  readonly seenUpTo = computed(() => {
    const theirs = Object.values(this.reads.value)
      .filter((r) => r.role !== this.myRole)
      .map((r) => r.lastRead);
    const readUpTo = theirs.length > 0 ? Math.max(...theirs) : 0;
    let seen = 0;
    for (const message of this.messages.value) {
      if (this.isMine(message.sender_id, message.sender_role) && message.id <= readUpTo) seen = message.id;
    }
    return seen;
  });
}

/**
 * A room's unread count as the server gave it. My pointer was at least its newest id less the count then; the
 * page may know it further on (the queue's read pointers, my own reads), which {@link unreadOf} takes care of.
 */
function snapshotOf(room: Room): UnreadSnapshot {
  return {
    lastMessageId: room.last_message_id,
    lastRead: Math.max(0, room.last_message_id - room.unread_count),
    count: room.unread_count,
  };
}
