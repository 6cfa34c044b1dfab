import { type ChatDeps, view } from './chat.js';
import { staffOnly } from './errors.js';
import type { PageRequest } from './ports.js';
import { shownProfiles } from './profiles.js';
import { type Actor, type Page, Role, type Room, type RoomView } from './types.js';

/**
 * Conversations that ended, for staff: every closed room newest close first, and one customer's rooms (open
 * and closed) newest first. A closed room itself (its messages, its detail) is read as any room is: its URL
 * in the console is enough to find it again.
 */

/** A page of rooms and the display names of the people who closed them (null: no name on their profile). */
export interface HistoryPage extends Page<RoomView> {
  readonly closers: ReadonlyMap<string, string | null>;
}

/** Every closed room, newest close first (staff only). */
export async function listClosedRooms(deps: ChatDeps, actor: Actor, page: PageRequest): Promise<HistoryPage> {
  requireStaff(actor);
  return historyPage(deps, actor, await deps.store.listClosedRooms(page));
}

/**
 * One customer's conversations, newest first, closed ones included (staff only): the console's customer
 * panel. A customer nobody knows has none, which is an empty page, not a 404 (staff may see every room).
 */
export async function listCustomerHistory(
  deps: ChatDeps,
  actor: Actor,
  customerId: string,
  page: PageRequest,
): Promise<HistoryPage> {
  requireStaff(actor);
  return historyPage(deps, actor, await deps.store.listCustomerRooms(customerId, page));
}

function requireStaff(actor: Actor): void {
  if (actor.role !== Role.staff) throw staffOnly();
}

/**
 * The rooms as the caller sees them, and who closed them by name: one batch of profiles for the page (a
 * customer who closed their own room is named by the room too, but their profile may say more).
 */
async function historyPage(deps: ChatDeps, actor: Actor, rooms: Page<Room>): Promise<HistoryPage> {
  const closerIds = [
    ...new Set(rooms.items.flatMap((room) => (room.closedBy === null ? [] : [room.closedBy]))),
  ];
  const profiles =
    closerIds.length === 0
      ? new Map()
      : await shownProfiles(deps.store, await deps.store.getProfiles(closerIds));
  const closers = new Map(closerIds.map((id) => [id, profiles.get(id)?.name ?? null] as const));
  return { items: rooms.items.map((room) => view(room, actor)), nextCursor: rooms.nextCursor, closers };
}
