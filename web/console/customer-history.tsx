import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import type { HistoryPage, Room } from '../../client/wire.js';
import type { ChatApp } from '../shared/chat.js';
import { HistoryEntry } from './closed-rooms.js';

const CUSTOMER_PAGE = 10;

/**
 * The customer's other conversations, newest first, closed ones included, in the customer panel: what they
 * asked before is often what they are asking now. Read when the room comes on screen; each entry links to
 * its room's URL.
 */
export function CustomerHistory({
  app,
  roomId,
  customerId,
}: {
  app: ChatApp;
  roomId: string;
  customerId: string;
}) {
  const rooms = useSignal<readonly Room[] | null>(null);
  const closers = useSignal<HistoryPage['closers']>({});
  const cursor = useSignal<string | null>(null);
  const error = useSignal('');

  const load = async (after?: string) => {
    error.value = '';
    try {
      const page = await app.http.customerRooms(customerId, {
        limit: CUSTOMER_PAGE,
        ...(after ? { cursor: after } : {}),
      });
      rooms.value = [...(after ? (rooms.value ?? []) : []), ...page.results];
      closers.value = { ...closers.value, ...page.closers };
      // The room, opened from here, names who closed it too.
      app.names.learn(
        Object.entries(page.closers).filter((entry): entry is [string, string] => entry[1] !== null),
      );
      cursor.value = page.next_cursor;
    } catch (e) {
      error.value = 'Could not load their conversations.';
      app.report(e);
    }
  };

  useEffect(() => {
    rooms.value = null;
    void load();
  }, [customerId]);

  const others = rooms.value?.filter((room) => room.id !== roomId);
  return (
    <section class="customer-history" aria-labelledby="customer-history-title" data-testid="customer-history">
      <h2 id="customer-history-title">Past conversations</h2>
      {error.value ? (
        <p class="error small" role="alert">
          {error.value}
        </p>
      ) : others === undefined ? (
        <p class="muted small">Loading…</p>
      ) : others.length === 0 ? (
        <p class="muted small">None before this one.</p>
      ) : (
        <ul class="history-list">
          {others.map((room) => (
            <HistoryEntry key={room.id} app={app} room={room} closers={closers.value} current={false} />
          ))}
        </ul>
      )}
      {cursor.value ? (
        <button type="button" class="link" onClick={() => void load(cursor.value ?? undefined)}>
          Show older
        </button>
      ) : null}
    </section>
  );
}
