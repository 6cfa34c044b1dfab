import { effect, signal } from '@preact/signals';
import { ChatApiError } from '../../client/errors.js';
import type { RoomDetail } from '../../client/wire.js';
import type { ChatApp } from '../shared/chat.js';

/**
 * The console's URLs: `#/rooms/<id>` is a room, anything else the queue with no room open. A room has its
 * own URL so that it can be bookmarked, shared with a colleague, opened from a past conversation, and left
 * with the browser's back button: every room opened pushes an entry, and back and forward open the room of
 * the entry they reach. A fragment, not a path, so that the one static `console.html` serves every URL,
 * locally and behind CloudFront, with no rewrite rule.
 */

const ROOM_HASH = /^#\/rooms\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The room a fragment names, or null. */
export function roomOfHash(hash: string): string | null {
  return ROOM_HASH.exec(hash)?.[1] ?? null;
}

/** The fragment of a room, for links: `<a href={roomHref(id)}>`. */
export const roomHref = (roomId: string) => `#/rooms/${roomId}`;

/** What the router needs of the console's model. */
export interface RoutedConsole {
  readonly app: ChatApp;
  readonly selected: { value: string | null };
  select(roomId: string): void;
  deselect(): void;
}

/** Why the room of the URL is not on screen (gone, not found, or the read failed), for the empty pane. */
export const routeNotice = signal('');

/**
 * Opens the room a URL names: one the console has (in the queue), or one it reads first (closed, or past the
 * pages of the queue on screen), which it then keeps like any room on screen. A room that does not exist
 * leaves the pane empty with a notice.
 */
export async function openRoute(model: RoutedConsole, roomId: string): Promise<void> {
  routeNotice.value = '';
  if (!model.app.conversation(roomId)) {
    let detail: RoomDetail;
    try {
      detail = await model.app.http.getRoom(roomId);
    } catch (error) {
      if (roomOfHash(location.hash) !== roomId) return;
      model.deselect();
      routeNotice.value =
        error instanceof ChatApiError && error.status === 404
          ? 'That conversation does not exist.'
          : 'Could not open that conversation; try again in a moment.';
      if (!(error instanceof ChatApiError && error.status === 404)) model.app.report(error);
      return;
    }
    // The URL moved on while the room was read.
    if (roomOfHash(location.hash) !== roomId) return;
    const { members: _members, customer: _customer, ...room } = detail;
    model.app.conversation(roomId)?.update(room, true) ?? model.app.track(room);
  }
  model.select(roomId);
}

/**
 * Keeps the URL and the room on screen in step, both ways, until the returned function is called: a room
 * selected in the page (a click, Alt+↓) pushes its URL; a URL reached by back, forward, a link or by hand
 * opens its room. The URL the page was loaded with opens its room once the console starts.
 */
export function routeRooms(model: RoutedConsole): () => void {
  // Back and forward fire both popstate and hashchange: the room is read once.
  let opening: string | null = null;
  const follow = () => {
    const roomId = roomOfHash(location.hash);
    if (roomId === null) {
      routeNotice.value = '';
      if (model.selected.value !== null) model.deselect();
    } else if (roomId !== model.selected.value && roomId !== opening) {
      opening = roomId;
      void openRoute(model, roomId).finally(() => {
        if (opening === roomId) opening = null;
      });
    }
  };
  window.addEventListener('hashchange', follow);
  window.addEventListener('popstate', follow);
  follow();
  const stop = effect(() => {
    const selected = model.selected.value;
    if (selected !== null && roomOfHash(location.hash) !== selected)
      history.pushState(null, '', roomHref(selected));
  });
  return () => {
    stop();
    window.removeEventListener('hashchange', follow);
    window.removeEventListener('popstate', follow);
  };
}
