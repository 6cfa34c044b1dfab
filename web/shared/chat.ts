import { batch, signal } from '@preact/signals';
import { ChatApiError, type ChatError } from '../../client/errors.js';
import { ChatHttp } from '../../client/http.js';
import { ChatSocket, type ConnectionState, newClientMessageId, ticketAuth } from '../../client/socket.js';
import type { Room, RoomSummary } from '../../client/wire.js';
import { type Session, SessionExpired } from '../auth.js';
import type { WebConfig } from '../config.js';
import { Conversation } from './conversation.js';
import { NameBook } from './names.js';

export { Conversation, type FailedSend } from './conversation.js';

const HISTORY_PAGE = 30;

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
  onRoomEvent: (
    event: 'created' | 'joined' | 'left' | 'closed' | 'assigned',
    room: Room,
    userId: string,
  ) => void = () => {};
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

  /**
   * Marks everything shown as read, when the person can actually see it: the tab visible, and for staff
   * focused too (a console left open behind another window must not tell the customer "Seen").
   */
  markSeen(conversation: Conversation): void {
    if (typeof document !== 'undefined' && document.visibilityState !== 'visible') return;
    if (typeof document !== 'undefined' && this.me.role === 'staff' && !document.hasFocus()) return;
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
      if (
        this.me.role === 'customer' &&
        (event.event === 'joined' || event.event === 'left' || event.event === 'assigned')
      ) {
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
