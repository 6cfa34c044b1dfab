import { batch, computed, type ReadonlySignal, type Signal, signal } from '@preact/signals';
import { ChatApiError, type ChatError } from '../../client/errors.js';
import { ChatHttp } from '../../client/http.js';
import { isNewer, summaryRoom } from '../../client/queue-summaries.js';
import {
  ChatSocket,
  type ConnectionState,
  newClientMessageId,
  type PendingSend,
  ticketAuth,
} from '../../client/socket.js';
import type { Message, Role, Room, RoomCustomer, RoomDetail, RoomSummary } from '../../client/wire.js';
import { type Session, SessionExpired } from '../auth.js';
import type { WebConfig } from '../config.js';
import { NameBook } from './names.js';

const customerKey = (room: Pick<Room, 'customer_id' | 'customer_name'>) =>
  JSON.stringify([room.customer_id, room.customer_name]);

/** How long a typing indicator stays without a fresh `is_typing: true`. */
const TYPING_STALE_MS = 6_000;
const HISTORY_PAGE = 30;

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
    this.unread = computed(() => Math.max(0, this.room.value.last_message_id - this.myLastRead.value));
  }

  /** Whether a message by `userId` is my own (under my id, or one I had before). */
  isMine(userId: string): boolean {
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
      if (mine) this.read(this.me, 'staff', room.last_message_id - room.unread_count);
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
    if (this.isMine(userId)) {
      if (messageId > this.myLastRead.value) this.myLastRead.value = messageId;
      return;
    }
    const current = this.reads.value[userId];
    if (current && current.lastRead >= messageId) return;
    this.reads.value = { ...this.reads.value, [userId]: { role, lastRead: messageId } };
  }

  setTyping(userId: string, role: Role, isTyping: boolean): void {
    if (this.isMine(userId)) return;
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
      if (this.isMine(message.sender_id) && message.id <= readUpTo) seen = message.id;
    }
    return seen;
  });
}

export interface ChatAppOptions {
  readonly config: WebConfig;
  readonly session: Session;
  /** Called when the server no longer accepts the session's token. */
  readonly onExpired: () => void;
  /**
   * Staff: follow the staff queue (one subscription, and about once a second one summary per changed room:
   * preview, unread count, read pointers, typing, members, status) and follow individually only the rooms
   * that are {@link ChatApp.load}ed, until {@link ChatApp.release}d. Without it every tracked room is
   * followed.
   */
  readonly queue?: boolean;
}

/**
 * What both pages share: the typed client wired to signals. One socket follows every room the page shows
 * (the console: the staff queue, and the room on screen); every message of a followed room lands in its
 * {@link Conversation} once, in id order, however it arrived.
 */
export class ChatApp {
  readonly http: ChatHttp;
  readonly socket: ChatSocket;
  readonly me: Session;
  /** The server's limit, in characters (code points). */
  readonly maxMessageLength: number;
  readonly connection = signal<ConnectionState>('idle');
  readonly conversations = signal<ReadonlyMap<string, Conversation>>(new Map());
  /** Staff online, as far as this page knows (the console: all of them; a customer: those in their rooms). */
  readonly onlineStaff = signal<ReadonlySet<string>>(new Set());
  /** Whether anyone from support is online (the widget's "We are online"). */
  readonly supportOnline = signal(false);
  /** People's display names, learnt from room details and the signed-in person's profile. */
  readonly names = new NameBook();
  /** Room lifecycle events of followed rooms. */
  onRoomEvent: (event: 'created' | 'joined' | 'left' | 'closed', room: Room, userId: string) => void =
    () => {};
  /**
   * With `queue`: each summary of the queue (none older than one before it of its room), before its
   * conversation (if any) takes it: a page that keeps a list of rooms starts or drops one here.
   */
  onQueueRoom: (summary: RoomSummary) => void = () => {};
  private readonly options: ChatAppOptions;
  /** Rooms to stop following once their unsent messages are out. */
  private readonly releasing = new Set<string>();

  constructor(options: ChatAppOptions) {
    this.options = options;
    this.me = options.session;
    this.maxMessageLength = options.config.maxMessageLength ?? 4000;
    const getToken = async () => {
      try {
        return await options.session.token();
      } catch (error) {
        if (error instanceof SessionExpired) options.onExpired();
        throw error;
      }
    };
    this.http = new ChatHttp({ baseUrl: options.config.httpApiUrl, getToken });
    this.socket = new ChatSocket({
      url: options.config.webSocketUrl,
      http: this.http,
      auth: ticketAuth(this.http),
    });
    this.wire();
  }

  start(): void {
    this.socket.connect();
    if (this.options.queue) this.socket.followQueue().catch((error: unknown) => this.report(error));
    void this.refreshOnlineStaff();
    document.addEventListener('visibilitychange', this.onVisible);
  }

  stop(): void {
    document.removeEventListener('visibilitychange', this.onVisible);
    this.socket.close();
  }

  /** A phone that comes back to the page should not wait out a long backoff delay. */
  private readonly onVisible = () => {
    if (document.visibilityState !== 'visible') return;
    this.socket.reconnectNow();
    // The widget skips its polls while hidden: catch up at once.
    if (this.me.role === 'customer') void this.refreshOnlineStaff();
  };

  conversation(roomId: string): Conversation | undefined {
    return this.conversations.value.get(roomId);
  }

  /**
   * Keeps a conversation for a room (once) and returns it; history is loaded by {@link load}. Follows the
   * room too, unless the staff queue keeps it live (`queue`), in which case {@link load} follows it.
   */
  track(room: Room): Conversation {
    const existing = this.conversations.value.get(room.id);
    if (existing) return existing;
    const conversation = new Conversation(room, this.me.userId, this.me.role, this.me.formerIds);
    const next = new Map(this.conversations.value);
    next.set(room.id, conversation);
    this.conversations.value = next;
    if (!this.options.queue) this.socket.follow(room.id).catch((error: unknown) => this.report(error));
    return conversation;
  }

  untrack(roomId: string): void {
    if (!this.conversations.value.has(roomId)) return;
    this.releasing.delete(roomId);
    this.socket.unfollow(roomId);
    const next = new Map(this.conversations.value);
    next.delete(roomId);
    this.conversations.value = next;
  }

  /**
   * Follows a room and loads its newest page of history and its members' read pointers (once, until
   * {@link release}).
   */
  async load(conversation: Conversation): Promise<void> {
    const roomId = conversation.room.value.id;
    this.releasing.delete(roomId);
    if (conversation.loaded.value && this.socket.follows(roomId)) return;
    await this.socket.follow(roomId);
    const [page, detail] = await Promise.all([
      this.http.listMessages(roomId, { limit: HISTORY_PAGE }),
      this.http.getRoom(roomId),
    ]);
    // Released meanwhile: what came would not be kept complete.
    if (!this.socket.follows(roomId)) return;
    batch(() => {
      conversation.add(page.results);
      const { members: _members, customer: _customer, ...room } = detail;
      conversation.update(room, true);
      conversation.setCustomer(detail);
      this.names.learn(detail.members.map((member) => [member.user_id, member.name]));
      for (const member of detail.members) conversation.read(member.user_id, member.role, member.last_read);
      // Messages that arrived live may already reach back to the first one.
      conversation.hasOlder.value = page.has_more && (conversation.messages.value[0]?.id ?? 0) > 1;
      conversation.loaded.value = true;
    });
  }

  /**
   * With `queue`: stops following a room that left the screen, once its unsent messages are out, and
   * forgets its loaded history; the staff queue's summaries keep its preview and unread count live.
   */
  release(conversation: Conversation): void {
    const roomId = conversation.room.value.id;
    if (!this.options.queue || !this.socket.follows(roomId)) return;
    if (this.socket.pending(roomId).length > 0) {
      this.releasing.add(roomId);
      return;
    }
    this.releasing.delete(roomId);
    this.socket.unfollow(roomId);
    conversation.unload();
  }

  /** Scrolls history back by one page. */
  async loadOlder(conversation: Conversation): Promise<void> {
    const oldest = conversation.messages.value[0];
    if (!oldest || !conversation.hasOlder.value || conversation.loadingOlder.value) return;
    conversation.loadingOlder.value = true;
    try {
      const page = await this.http.listMessages(conversation.room.value.id, {
        before: oldest.id,
        limit: HISTORY_PAGE,
      });
      batch(() => {
        conversation.add(page.results);
        conversation.hasOlder.value = page.has_more && (conversation.messages.value[0]?.id ?? 0) > 1;
      });
    } finally {
      conversation.loadingOlder.value = false;
    }
  }

  send(conversation: Conversation, content: string, clientMessageId = newClientMessageId()): void {
    const roomId = conversation.room.value.id;
    conversation.failed.value = conversation.failed.value.filter(
      (f) => f.clientMessageId !== clientMessageId,
    );
    this.socket.send(roomId, content, clientMessageId).catch((error: unknown) => {
      const reason =
        (error as ChatError).code === 'room_closed'
          ? 'The chat is closed.'
          : error instanceof Error
            ? error.message
            : 'Not sent.';
      conversation.failed.value = [...conversation.failed.value, { clientMessageId, content, reason }];
    });
  }

  discard(conversation: Conversation, clientMessageId: string): void {
    conversation.failed.value = conversation.failed.value.filter(
      (f) => f.clientMessageId !== clientMessageId,
    );
  }

  /** Marks everything shown as read, when the person can actually see it. */
  markSeen(conversation: Conversation): void {
    if (typeof document !== 'undefined' && document.visibilityState !== 'visible') return;
    const newest = conversation.messages.value.at(-1);
    if (!newest || newest.id <= conversation.myLastRead.value) return;
    conversation.myLastRead.value = newest.id;
    this.socket.markRead(conversation.room.value.id, newest.id);
  }

  /**
   * Reads who is online over HTTP: staff the list of online staff, customers only whether anyone from support
   * is (`/support-status/`, public and cached for a few seconds, so every widget shares one reading). Either
   * answer says when it was read, and the socket's {@link PresenceBook} keeps whichever is newer, the answer
   * or a presence frame, so a slow answer cannot undo a newer frame, nor a late frame a newer answer.
   */
  async refreshOnlineStaff(): Promise<void> {
    try {
      const book = this.socket.presence;
      if (this.me.role === 'staff') {
        const page = await this.http.onlineStaffPage();
        const staff = new Set(page.results.map((s) => s.user_id));
        book.takeSnapshot({ staff, checkedAt: Date.parse(page.checked_at) });
      } else {
        const status = await this.http.supportStatus();
        book.takeSnapshot({ anyone: status.online, checkedAt: Date.parse(status.checked_at) });
      }
      this.showPresence();
    } catch (error) {
      this.report(error);
    }
  }

  private showPresence(): void {
    const book = this.socket.presence;
    const staff = book.onlineStaff();
    const current = this.onlineStaff.value;
    batch(() => {
      if (staff.length !== current.size || staff.some((id) => !current.has(id))) {
        this.onlineStaff.value = new Set(staff);
      }
      this.supportOnline.value = book.anyStaffOnline();
    });
  }

  /** Errors nobody awaits: an expired session signs out; the rest go to the console for whoever debugs. */
  report(error: unknown): void {
    if (error instanceof SessionExpired || (error instanceof ChatApiError && error.status === 401)) {
      this.options.onExpired();
      return;
    }
    console.warn('[live-chat]', error);
  }

  private wire(): void {
    const socket = this.socket;
    socket.on('state', ({ state }) => {
      const wasOpen = this.connection.value === 'open';
      this.connection.value = state;
      if (state === 'open' && !wasOpen) void this.refreshOnlineStaff();
    });
    socket.on('message', (message) => {
      this.conversation(message.room_id)?.add([message]);
      // Whoever from support just wrote is online, unless something newer says otherwise.
      if (message.sender_role === 'staff') {
        this.socket.presence.sawOnline(message.sender_id, 'staff', Date.parse(message.created_at));
        this.showPresence();
      }
    });
    socket.on('outbox', ({ roomId, pending }) => {
      const conversation = this.conversation(roomId);
      if (conversation) conversation.pending.value = pending;
      if (conversation && pending.length === 0 && this.releasing.has(roomId)) this.release(conversation);
    });
    socket.on('typing', (event) =>
      this.conversation(event.room_id)?.setTyping(event.user_id, event.role, event.is_typing),
    );
    socket.on('read_receipt', (event) =>
      this.conversation(event.room_id)?.read(event.user_id, event.role, event.message_id),
    );
    // Only frames newer than what the socket's book had for that user come here; the book has taken it.
    socket.on('presence', (event) => {
      if (event.role === 'staff') this.showPresence();
    });
    socket.on('room', (event) => {
      if (event.event === 'unsubscribed') return;
      this.conversation(event.room_id)?.update(event.room);
      if (event.event === 'subscribed') return;
      // Presence frames reach a customer only from staff in their rooms: ask again when that changes.
      if (this.me.role === 'customer' && (event.event === 'joined' || event.event === 'left')) {
        void this.refreshOnlineStaff();
      }
      this.onRoomEvent(event.event, event.room, event.user_id);
    });
    socket.on('queue_rooms', ({ rooms }) =>
      batch(() => {
        for (const summary of rooms) {
          this.onQueueRoom(summary);
          this.conversation(summary.id)?.summarize(summary);
        }
      }),
    );
    socket.on('queue_typing', ({ roomId, userIds }) => this.conversation(roomId)?.setQueueTyping(userIds));
    socket.on('error', (error) => this.report(error));
  }
}
