import { computed, signal, useSignal } from '@preact/signals';
import { useEffect, useMemo } from 'preact/hooks';
import { ChatApiError } from '../../client/errors.js';
import { ensureDisplayName } from '../../client/profile.js';
import { isNewer, summaryRoom } from '../../client/queue-summaries.js';
import type { Message, Room } from '../../client/wire.js';
import type { Session } from '../auth.js';
import type { WebConfig } from '../config.js';
import { ChatApp, type Conversation } from '../shared/chat.js';
import { ConfirmButton, ConnectionHint, MessageList, relativeTime } from '../shared/ui.js';
import { ConsoleAlerts } from './alerts.js';
import { AlertsControls } from './alerts-controls.js';
import {
  AnswerGuard,
  AssignmentControls,
  assigneeOf,
  byLongestWaiting,
  staffSenderName,
} from './assignment.js';
import { attentionCount, titleWith } from './attention.js';
import { CannedReplies, CannedRepliesPanel } from './canned-replies.js';
import { ClosedRooms, closerName } from './closed-rooms.js';
import { CustomerPanel, customerShown } from './customer.js';
import { focusComposer, useQueueFocus } from './focus.js';
import { NoteRow, StaffNotes } from './notes.js';
import { QueueItem } from './queue-item.js';
import { routeNotice, routeRooms } from './routing.js';
import { StaffComposer } from './staff-composer.js';

type Filter = 'all' | 'unassigned' | 'mine';
const QUEUE_PAGE = 50;
/**
 * The server reads the queue's followers eventually consistently: a summary made just after the subscription
 * was confirmed may miss this socket. The queue is read again this long after each confirmation.
 */
const QUEUE_SETTLE_MS = 1_000;
/** Closed rooms remembered, so that an older snapshot (a late page, a retried summary) cannot bring one back. */
const CLOSED_KEPT = 5_000;

/** The console's state beyond what {@link ChatApp} keeps: which rooms are in the queue, which one is open. */
class ConsoleModel {
  readonly app: ChatApp;
  readonly selected = signal<string | null>(null);
  readonly filter = signal<Filter>('all');
  readonly nextCursor = signal<string | null>(null);
  readonly queueError = signal('');
  readonly loadingQueue = signal(true);
  /** Pages of the queue on screen: the first, plus one per "Show more rooms". */
  private pagesShown = 0;
  private refreshing = false;
  private refreshAgain = false;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Rooms dropped from the queue as closed, with the version that said so. */
  private readonly closed = new Map<string, number>();

  /** Open rooms (plus the one on screen), newest activity first. */
  readonly queue = computed(() => {
    const selected = this.selected.value;
    return [...this.app.conversations.value.values()]
      .filter((c) => c.room.value.status === 'open' || c.room.value.id === selected)
      .sort((a, b) => b.room.value.last_activity_at.localeCompare(a.room.value.last_activity_at));
  });

  /** The badge and the tab title: unread customer messages in my rooms, plus new rooms nobody has. */
  readonly totalUnread = computed(() =>
    attentionCount(
      this.queue.value.map((c) => ({ room: c.room.value, unread: c.unread.value })),
      this.app.me.userId,
    ),
  );
  readonly alerts: ConsoleAlerts;

  constructor(
    config: WebConfig,
    private readonly session: Session,
    onExpired: () => void,
  ) {
    // The staff queue's summaries keep every room's preview, unread count, typing, members and status live
    // with one subscription; only the room on screen is followed on its own.
    this.app = new ChatApp({ config, session, onExpired, queue: true });
    this.alerts = new ConsoleAlerts({
      rooms: () => [...this.app.conversations.value.values()].map((c) => c.room.value),
      me: session.userId,
      open: (roomId) => this.select(roomId),
    });
    // A summary of a room not in the list is a new room (or one that moved up); a closed one leaves.
    this.app.onQueueRoom = (summary) => {
      if (summary.status === 'closed') this.drop(summary);
      else if (!this.app.conversation(summary.id)) this.take(summaryRoom(summary), true);
    };
    // A room that closed while the socket was away shows up closed on resubscription: let it go.
    this.app.socket.on('room', (event) => {
      if (event.event === 'subscribed' && event.room.status === 'closed') this.drop(event.room);
    });
    // Summaries have no catch-up: whatever happened while the socket was away (messages, reads, new and
    // closed rooms) is read again once the subscription is back. The first confirmation too, as the first
    // page may have been read before it.
    this.app.socket.on('queue', (event) => {
      if (event.event !== 'subscribed') return;
      clearTimeout(this.refreshTimer);
      this.refreshTimer = setTimeout(() => this.refreshQueue(), QUEUE_SETTLE_MS);
    });
  }

  stop(): void {
    clearTimeout(this.refreshTimer);
    this.alerts.stop();
    this.app.stop();
  }

  start(): void {
    this.app.start();
    this.alerts.start();
    void this.loadQueue();
    // Colleagues and customers see the signed-in person's name, once their profile has one.
    ensureDisplayName(this.app.http, this.session.displayName, this.session.userId)
      .then((profile) => this.app.names.learn([[profile.user_id, profile.name]]))
      .catch((error: unknown) => this.app.report(error));
  }

  async loadQueue(cursor?: string): Promise<void> {
    this.loadingQueue.value = true;
    try {
      const page = await this.app.http.activeRooms({ limit: QUEUE_PAGE, ...(cursor ? { cursor } : {}) });
      for (const room of page.results) this.take(room, true);
      this.pagesShown = cursor ? this.pagesShown + 1 : Math.max(1, this.pagesShown);
      if (cursor || this.nextCursor.value === null) this.nextCursor.value = page.next_cursor;
      this.queueError.value = '';
    } catch (error) {
      this.queueError.value = 'Could not load the queue; retrying when the connection is back.';
      this.app.report(error);
    } finally {
      this.loadingQueue.value = false;
    }
  }

  /**
   * Takes an open room (listed by the HTTP API, or a summary): updates its conversation if newer, or starts
   * one if `track`, unless a newer snapshot said it closed.
   */
  private take(room: Room, track: boolean): void {
    if (!isNewer(room.version, this.closed.get(room.id))) return;
    const conversation = this.app.conversation(room.id);
    if (conversation) conversation.update(room, true);
    else if (track) {
      this.app.track(room);
      // Rooms of the first page were there before; any other may be a new chat (a summary, a refresh).
      if (this.pagesShown > 0) this.alerts.roomArrived(room);
    }
  }

  /** A room closed (or is gone): it leaves the list, unless it is on screen (it goes when left). */
  private drop(room: Pick<Room, 'id' | 'version'>): void {
    this.closed.delete(room.id);
    this.closed.set(room.id, room.version);
    if (this.closed.size > CLOSED_KEPT) this.closed.delete(this.closed.keys().next().value as string);
    if (this.selected.value !== room.id) this.app.untrack(room.id);
  }

  /**
   * Reads every page of open rooms again (after the queue's subscription is confirmed): corrects previews
   * and unread counts, adds rooms created meanwhile to the pages on screen, and lets go of rooms that
   * closed meanwhile. Runs one at a time.
   */
  refreshQueue(): void {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    void this.readAllPages().finally(() => {
      this.refreshing = false;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        this.refreshQueue();
      }
    });
  }

  private async readAllPages(): Promise<void> {
    const app = this.app;
    const before = [...app.conversations.value.keys()];
    const listed = new Set<string>();
    const shown = Math.max(1, this.pagesShown);
    try {
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await app.http.activeRooms({ limit: QUEUE_PAGE, ...(cursor ? { cursor } : {}) });
        pages += 1;
        for (const room of page.results) {
          listed.add(room.id);
          this.take(room, pages <= shown);
        }
        if (pages === shown) this.nextCursor.value = page.next_cursor;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      this.pagesShown = Math.max(this.pagesShown, Math.min(pages, shown));
      // Not listed: closed meanwhile, or moved past the cursor while the pages were read. Ask each.
      for (const roomId of before) {
        const conversation = app.conversation(roomId);
        if (!conversation || listed.has(roomId) || roomId === this.selected.value) continue;
        const detail = await app.http.getRoom(roomId).catch((error: unknown) => {
          if (error instanceof ChatApiError && error.status === 404) return undefined;
          throw error;
        });
        if (detail?.status === 'open') {
          const { members: _members, customer: _customer, ...room } = detail;
          conversation.update(room, true);
        } else this.drop(detail ?? { id: roomId, version: Number.POSITIVE_INFINITY });
      }
      this.queueError.value = '';
    } catch (error) {
      this.queueError.value = 'Could not load the queue; retrying when the connection is back.';
      app.report(error);
    }
  }

  select(roomId: string): void {
    const previous = this.selected.value;
    this.selected.value = roomId;
    const left = previous && previous !== roomId ? this.app.conversation(previous) : undefined;
    // A closed room stays in the list only while it is on screen; an open one stays, kept live by the queue.
    if (left?.room.value.status === 'closed') this.drop(left.room.value);
    else if (left) this.app.release(left);
    const conversation = this.app.conversation(roomId);
    if (conversation) this.app.load(conversation).catch((error: unknown) => this.app.report(error));
  }

  /** No room on screen (the URL names none): the one that was leaves as {@link select} lets it go. */
  deselect(): void {
    const left = this.selected.value ? this.app.conversation(this.selected.value) : undefined;
    this.selected.value = null;
    if (left?.room.value.status === 'closed') this.drop(left.room.value);
    else if (left) this.app.release(left);
  }

  visible(filter: Filter, conversations: readonly Conversation[]): Conversation[] {
    const me = this.app.me.userId;
    // Unassigned: nobody has the room (docs/assignment.md), the longest-waiting first.
    if (filter === 'unassigned')
      return conversations
        .filter((c) => assigneeOf(c.room.value) === null)
        .sort((a, b) => byLongestWaiting(a.room.value, b.room.value));
    return conversations.filter((c) => {
      const staff = c.room.value.staff_ids;
      if (filter === 'mine') return staff.includes(me);
      return true;
    });
  }
}

export function ConsoleApp(props: {
  config: WebConfig;
  session: Session;
  onSignOut: () => void;
  onExpired: () => void;
}) {
  const model = useMemo(() => new ConsoleModel(props.config, props.session, props.onExpired), []);
  const { app } = model;
  const staff = useMemo(() => ({ notes: new StaffNotes(app), canned: new CannedReplies(app) }), []);
  const showCanned = useSignal(false);

  useEffect(() => {
    model.start();
    void staff.canned.load();
    return () => model.stop();
  }, []);
  // A room has its own URL (#/rooms/<id>); back and forward move between rooms.
  useEffect(() => routeRooms(model), []);
  useQueueFocus(model.loadingQueue.value);

  useEffect(() => {
    const unread = model.totalUnread.value;
    document.title = titleWith(unread, 'Support console');
  }, [model.totalUnread.value]);

  // Alt+↑ / Alt+↓ move through the queue from anywhere, the composer included.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!event.altKey || (event.key !== 'ArrowDown' && event.key !== 'ArrowUp')) return;
      const list = model.visible(model.filter.value, model.queue.value);
      if (list.length === 0) return;
      event.preventDefault();
      const index = list.findIndex((c) => c.room.value.id === model.selected.value);
      const step = event.key === 'ArrowDown' ? 1 : -1;
      // Nothing selected (or the selection is not in this list): ↓ opens the first room, ↑ the last.
      const next =
        index === -1
          ? list[step === 1 ? 0 : list.length - 1]
          : list[(index + step + list.length) % list.length];
      if (next) model.select(next.room.value.id);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const selected = model.selected.value ? app.conversation(model.selected.value) : undefined;
  const myName = app.names.nameOf(app.me.userId, props.session.displayName);
  const queue = model.visible(model.filter.value, model.queue.value);

  return (
    <div class="console">
      <header class="topbar">
        <h1 class="brand">Support console</h1>
        <ConnectionHint state={app.connection.value} />
        <AlertsControls alerts={model.alerts} count={model.totalUnread.value} />
        <div class="me">
          <span class="avatar" aria-hidden="true">
            {initials(myName)}
          </span>
          <span>{myName}</span>
          <button
            type="button"
            class="ghost"
            aria-pressed={showCanned.value}
            onClick={() => (showCanned.value = !showCanned.value)}
          >
            Canned replies
          </button>
          <button type="button" class="ghost" onClick={props.onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <aside class="sidebar" aria-label="Rooms">
        <fieldset class="tabs">
          <legend class="visually-hidden">Show</legend>
          {(['all', 'unassigned', 'mine'] as const).map((filter) => (
            <button
              key={filter}
              type="button"
              aria-pressed={model.filter.value === filter}
              class={model.filter.value === filter ? 'tab active' : 'tab'}
              onClick={() => {
                model.filter.value = filter;
              }}
            >
              {filter === 'all' ? 'All open' : filter === 'unassigned' ? 'Unassigned' : 'Mine'}
            </button>
          ))}
        </fieldset>
        <ul
          class="queue"
          aria-label={
            model.filter.value === 'unassigned'
              ? 'Unassigned rooms, longest waiting first'
              : 'Open rooms, newest activity first'
          }
          data-testid="queue"
          tabIndex={-1}
        >
          {queue.map((conversation) => (
            <QueueItem
              key={conversation.room.value.id}
              conversation={conversation}
              selected={conversation.room.value.id === model.selected.value}
              me={app.me.userId}
              names={app.names}
              onSelect={() => model.select(conversation.room.value.id)}
            />
          ))}
        </ul>
        {queue.length === 0 && !model.loadingQueue.value ? (
          <p class="empty muted">No open rooms. New ones appear here.</p>
        ) : null}
        {model.queueError.value ? (
          <p class="error" role="alert">
            {model.queueError.value}
          </p>
        ) : null}
        {model.nextCursor.value ? (
          <button
            type="button"
            class="link"
            onClick={() => model.loadQueue(model.nextCursor.value ?? undefined)}
          >
            Show more rooms
          </button>
        ) : null}
        <ClosedRooms app={app} selected={model.selected.value} />
        <section class="staff-online" aria-label="Staff online">
          <h2>Staff online</h2>
          <ul>
            {[...app.onlineStaff.value].sort().map((userId) => (
              <li key={userId}>
                <span class="dot online" aria-hidden="true" /> {app.names.nameOf(userId)}
                {userId === app.me.userId ? ' (you)' : ''}
              </li>
            ))}
          </ul>
        </section>
      </aside>
      <main class="room-pane">
        {showCanned.value ? (
          <CannedRepliesPanel canned={staff.canned} onClose={() => (showCanned.value = false)} />
        ) : selected ? (
          <>
            <RoomView
              key={selected.room.value.id}
              app={app}
              conversation={selected}
              {...staff}
              agentName={myName}
            />
            <CustomerPanel key={`customer-${selected.room.value.id}`} app={app} conversation={selected} />
          </>
        ) : (
          <div class="empty-state">
            <h2>Pick a room</h2>
            <p class="muted">Choose a conversation from the queue. Alt+↑ and Alt+↓ move through it.</p>
            {routeNotice.value ? (
              <p class="error route-notice" role="alert">
                {routeNotice.value}
              </p>
            ) : null}
          </div>
        )}
      </main>
    </div>
  );
}

function RoomView({
  app,
  conversation,
  notes,
  canned,
  agentName,
}: {
  app: ChatApp;
  conversation: Conversation;
  notes: StaffNotes;
  canned: CannedReplies;
  agentName: string;
}) {
  const room = conversation.room.value;
  useEffect(() => void notes.load(room.id), [room.id]);
  const roomNotes = notes.of(room.id).value;
  // Notes older than the history on screen wait until the messages around them are loaded.
  const since = conversation.hasOlder.value ? (conversation.messages.value[0]?.created_at ?? '') : '';
  const shownNotes = roomNotes.filter((note) => note.created_at >= since);
  const busy = useSignal(false);
  const error = useSignal('');
  const member = room.staff_ids.includes(app.me.userId);

  const act = async (action: (roomId: string) => Promise<Room>) => {
    busy.value = true;
    error.value = '';
    try {
      // The answer can be older than what the socket delivered meanwhile: keep the newest activity.
      conversation.update(await action(room.id));
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      busy.value = false;
    }
  };

  // A room has one customer: whatever id they wrote under (a guest who then signed in), it is them.
  const customer = customerShown(conversation);
  // The message list hands over whole messages: their time tells whether a reply was helping.
  const nameOf = (message: Pick<Message, 'sender_id' | 'sender_role'> & { readonly created_at?: string }) =>
    message.sender_role === 'customer' ? customer : staffSenderName(app, room, message);
  const staff = room.staff_ids.map((userId) => app.names.nameOf(userId));

  return (
    <section class="room" aria-label={`Conversation: ${room.subject || 'No subject'}`}>
      <header class="room-header">
        <div>
          <h2>{room.subject || 'No subject'}</h2>
          <p class="muted small">
            {customer} · {room.room_type} · opened {relativeTime(room.created_at)}
            {staff.length > 0 ? ` · with ${staff.join(', ')}` : ' · nobody has joined yet'}
          </p>
        </div>
        <div class="actions">
          <AssignmentControls app={app} conversation={conversation} />
          {room.status === 'open' ? (
            <>
              {member ? (
                <button
                  type="button"
                  class="ghost"
                  disabled={busy.value}
                  onClick={() => act((id) => app.http.leaveRoom(id))}
                >
                  Leave
                </button>
              ) : (
                <button
                  type="button"
                  class="primary"
                  disabled={busy.value}
                  onClick={() =>
                    act((id) => app.http.joinRoom(id)).then(() => {
                      if (!error.value) focusComposer(room.id);
                    })
                  }
                >
                  Join
                </button>
              )}
              <ConfirmButton
                label="Close"
                question="Close for good?"
                confirmLabel="Yes, close"
                cancelLabel="Keep open"
                legend="Confirm closing"
                disabled={busy.value}
                onConfirm={() => act((id) => app.http.closeRoom(id))}
              />
            </>
          ) : (
            <span class="tag closed">Closed</span>
          )}
        </div>
      </header>
      {error.value ? (
        <p class="error banner" role="alert">
          {error.value}
        </p>
      ) : null}
      {conversation.loaded.value ? (
        <MessageList
          app={app}
          conversation={conversation}
          nameOf={nameOf}
          active
          interleave={{
            items: shownNotes,
            render: (id) => {
              const note = shownNotes.find((n) => n.id === id);
              return note ? (
                <NoteRow
                  key={`note-${id}`}
                  note={note}
                  sender={note.sender_id === app.me.userId ? 'You' : nameOf(note)}
                />
              ) : null;
            },
          }}
        />
      ) : (
        <div class="messages loading muted">Loading the conversation…</div>
      )}
      {room.status === 'open' ? (
        <AnswerGuard app={app} conversation={conversation}>
          <StaffComposer
            key={room.id}
            app={app}
            conversation={conversation}
            notes={notes}
            canned={canned}
            agentName={agentName}
            placeholder={member ? `Reply to ${customer}` : `Reply to ${customer} (sending joins the room)`}
          />
        </AnswerGuard>
      ) : (
        <p class="closed-note">
          This conversation is closed.
          {room.closed_at ? ` Closed ${relativeTime(room.closed_at)} by ${closerName(app, room)}.` : ''}
        </p>
      )}
    </section>
  );
}

function initials(name: string): string {
  return name
    .split(/[\s@._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase())
    .join('');
}
