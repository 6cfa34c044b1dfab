import { useSignal } from '@preact/signals';
import type { HistoryPage, Room } from '../../client/wire.js';
import type { ChatApp } from '../shared/chat.js';
import { shownName } from '../shared/names.js';
import { relativeTime } from '../shared/ui.js';
import './history.css';
import { roomHref } from './routing.js';

const CLOSED_PAGE = 20;

/** Who closed a room, as a page of past conversations names them: the customer, a colleague, or you. */
export function closerName(app: ChatApp, room: Room, closers: HistoryPage['closers'] = {}): string {
  const by = room.closed_by;
  if (by === null) return 'unknown';
  if (by === app.me.userId) return 'you';
  if (by === room.customer_id) return shownName(by, closers[by] ?? room.customer_name);
  return app.names.nameOf(by, closers[by]);
}

/**
 * Every closed conversation, newest close first, in the sidebar below the queue: shown on demand (a
 * disclosure button), read a page at a time. Each entry is a link to the room's URL, which opens it read-only.
 */
export function ClosedRooms({ app, selected }: { app: ChatApp; selected: string | null }) {
  const open = useSignal(false);
  const rooms = useSignal<readonly Room[]>([]);
  const closers = useSignal<HistoryPage['closers']>({});
  const cursor = useSignal<string | null>(null);
  const loading = useSignal(false);
  const error = useSignal('');

  const load = async (after?: string) => {
    loading.value = true;
    error.value = '';
    try {
      const page = await app.http.closedRooms({ limit: CLOSED_PAGE, ...(after ? { cursor: after } : {}) });
      const known = new Set(after ? rooms.value.map((room) => room.id) : []);
      rooms.value = [...(after ? rooms.value : []), ...page.results.filter((room) => !known.has(room.id))];
      closers.value = { ...(after ? closers.value : {}), ...page.closers };
      // The room, opened from here, names who closed it too.
      app.names.learn(
        Object.entries(page.closers).filter((entry): entry is [string, string] => entry[1] !== null),
      );
      cursor.value = page.next_cursor;
    } catch (e) {
      error.value = 'Could not load the closed conversations.';
      app.report(e);
    } finally {
      loading.value = false;
    }
  };

  const toggle = () => {
    open.value = !open.value;
    // Read afresh each time it opens: rooms close all day.
    if (open.value) void load();
  };

  return (
    <section class="closed-rooms" aria-labelledby="closed-rooms-toggle">
      <h2>
        <button
          type="button"
          id="closed-rooms-toggle"
          class="disclosure"
          aria-expanded={open.value}
          aria-controls="closed-rooms-list"
          onClick={toggle}
        >
          Closed conversations
        </button>
      </h2>
      {open.value ? (
        <div id="closed-rooms-list">
          <ul class="history-list" aria-label="Closed conversations, newest first" data-testid="closed-rooms">
            {rooms.value.map((room) => (
              <HistoryEntry
                key={room.id}
                app={app}
                room={room}
                closers={closers.value}
                current={room.id === selected}
                showCustomer
              />
            ))}
          </ul>
          {rooms.value.length === 0 && !loading.value && !error.value ? (
            <p class="muted small padded">No closed conversations yet.</p>
          ) : null}
          {loading.value ? <p class="muted small padded">Loading…</p> : null}
          {error.value ? (
            <p class="error small padded" role="alert">
              {error.value}
            </p>
          ) : null}
          {cursor.value && !loading.value ? (
            <button type="button" class="link" onClick={() => void load(cursor.value ?? undefined)}>
              Show older conversations
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** One past conversation: a link to its URL, with its subject, customer, and when and by whom it closed. */
export function HistoryEntry(props: {
  app: ChatApp;
  room: Room;
  closers: HistoryPage['closers'];
  current: boolean;
  showCustomer?: boolean;
}) {
  const { app, room } = props;
  return (
    <li>
      <a
        class={`history-entry${props.current ? ' selected' : ''}`}
        href={roomHref(room.id)}
        aria-current={props.current ? 'page' : undefined}
        data-room-id={room.id}
      >
        <span class="subject">{room.subject || 'No subject'}</span>
        {props.showCustomer ? (
          <span class="small">{shownName(room.customer_id, room.customer_name)}</span>
        ) : null}
        <span class="muted small">
          {room.status === 'closed' && room.closed_at ? (
            <>
              Closed <time dateTime={room.closed_at}>{relativeTime(room.closed_at)}</time> by{' '}
              {closerName(app, room, props.closers)}
            </>
          ) : (
            <>
              Open · started <time dateTime={room.created_at}>{relativeTime(room.created_at)}</time>
            </>
          )}
        </span>
      </a>
    </li>
  );
}
