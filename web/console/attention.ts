import type { Room } from '../../client/wire.js';

/**
 * What in the queue asks for this agent's attention, as pure rules over rooms: the badge and tab title count,
 * and which changes of a room deserve a sound and a desktop notification. `web/console/alerts.ts` does the
 * I/O.
 *
 * Mine means assigned to me or joined by me. A colleague's room is theirs to answer, so its messages neither
 * count nor ring; a new room nobody has (no assignee and nobody in it) is everybody's until someone takes it,
 * so it counts once, as one room, however many messages its customer sent.
 */

/** A room's assignee (`assignee_id`, from the assignment part; absent means nobody). */
export function assigneeOf(room: Room): string | null {
  return (room as Room & { readonly assignee_id?: string | null }).assignee_id ?? null;
}

/** Whether the room is assigned to me or I am in it. */
export function isMine(room: Room, me: string): boolean {
  return assigneeOf(room) === me || room.staff_ids.includes(me);
}

/** An open room that nobody has yet: no assignee, and no staff member has joined or answered. */
export function isNewUnassigned(room: Room): boolean {
  return room.status === 'open' && assigneeOf(room) === null && room.staff_ids.length === 0;
}

/**
 * The badge and tab title: the unread customer messages in my open rooms, plus one for each new room nobody
 * has. Colleagues' rooms count nothing.
 */
export function attentionCount(
  rooms: Iterable<{ readonly room: Room; readonly unread: number }>,
  me: string,
) {
  let count = 0;
  for (const { room, unread } of rooms) {
    if (room.status !== 'open') continue;
    if (isMine(room, me)) count += unread;
    else if (isNewUnassigned(room)) count += 1;
  }
  return count;
}

/** The tab's title with the count in front, as mail and chat apps do. */
export function titleWith(count: number, title: string): string {
  return count > 0 ? `(${count}) ${title}` : title;
}

export type Alert =
  | { readonly kind: 'new_room'; readonly room: Room }
  | { readonly kind: 'customer_message'; readonly room: Room };

/**
 * A room seen for the first time since the page loaded, arriving live (a queue summary, a refresh): a new chat
 * when nobody has it, or when it came assigned to me (auto-assignment), and it was opened after the page
 * started (`sinceMs`, the page's clock, with a minute's slack for a clock that differs from the server's), not
 * an old room that moved up from a page not shown.
 */
export function alertForNewRoom(room: Room, sinceMs: number, me: string): Alert | null {
  if (room.status !== 'open' || !(isNewUnassigned(room) || assigneeOf(room) === me)) return null;
  return Date.parse(room.created_at) >= sinceMs - 60_000 ? { kind: 'new_room', room } : null;
}

/**
 * A change of a room the page already had: a customer message in one of my rooms rings (newer than the newest
 * the page knew of). A new room's further messages only keep it counted; a colleague's room stays quiet.
 */
export function alertForChange(before: Room, after: Room, me: string): Alert | null {
  if (after.status !== 'open' || after.last_message_id <= before.last_message_id) return null;
  if (after.last_message?.sender_role !== 'customer') return null;
  return isMine(after, me) ? { kind: 'customer_message', room: after } : null;
}
