import { AlreadyAssigned, unknownStaff } from './assignment-errors.js';
import { type ChatCommandDeps, closeRoom, leaveRoom, now, view } from './chat.js';
import { onlineStaff } from './connections.js';
import { roomClosed, roomNotFound, staffOnly } from './errors.js';
import { isSessionNamespaced } from './namespaces.js';
import type { StaffPresenceReader } from './ports.js';
import { type Actor, Role, type Room, type RoomView } from './types.js';

/**
 * Assignment: a room has at most one assignee, the staff member who answers it; others may still join and
 * write to help. See docs/assignment.md for the rules and what each step costs.
 */

export type AssignResult =
  | { readonly kind: 'changed' | 'unchanged'; readonly room: Room }
  /** The room is not assigned to whom the caller expected; `assigneeId` has it (null: nobody). */
  | { readonly kind: 'conflict'; readonly assigneeId: string | null }
  | { readonly kind: 'closed' }
  | { readonly kind: 'not_found' };

/** What assignment needs from storage (`lambdas/storage/assignment-store.ts`). */
export interface AssignmentPorts {
  /**
   * Sets the room's assignee to `staffId` (null: nobody) if it is open and its assignee is `expected` now,
   * making a staff assignee a member of the room; one conditional write, so one of two racing callers wins.
   */
  assignRoom(
    roomId: string,
    staffId: string | null,
    expected: string | null,
    at: string,
  ): Promise<AssignResult>;
  /** Takes the room from `staffId` if they have it; the room after, or null when they did not have it. */
  releaseIfAssignee(roomId: string, staffId: string, at: string): Promise<Room | null>;
  /** The next turn of the round robin, from one counter shared by every container. */
  nextTurn(): Promise<number>;
  /** The rooms each staff member is counted as having (assigned, open as far as the count knows). */
  loadsOf(staffIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Counts a room for a staff member, unless `cap` is given and they are at it; false when refused. */
  addLoad(staffId: string, roomId: string, cap?: number): Promise<boolean>;
  dropLoad(staffId: string, roomIds: readonly string[]): Promise<void>;
  roomsById(roomIds: readonly string[]): Promise<Room[]>;
}

export interface AssignmentDeps extends ChatCommandDeps {
  readonly assignments: AssignmentPorts;
  /** Staff online, checked against the sockets; without it, the presence items. */
  readonly presence?: StaffPresenceReader;
}

export interface AssignInput {
  /** Who should have the room; null to unassign. */
  readonly staffId: string | null;
  /** Who the caller believes has it now (null: nobody). The write happens only if that is still so. */
  readonly expectedAssigneeId: string | null;
}

/**
 * Take a room, give it to a colleague, transfer it or unassign it (staff only). The caller says who they
 * believe has the room now; if someone else has it by the time the write lands, nothing changes and the
 * answer is 409 `already_assigned` naming who has it. Asking for what already is changes nothing. A staff
 * member given a room becomes a member of it, as a join does, and the room's followers get a `room` frame
 * with event `assigned`; the staff queue hears of it from the table's stream.
 */
export async function assignRoom(
  deps: AssignmentDeps,
  actor: Actor,
  roomId: string,
  input: AssignInput,
): Promise<RoomView> {
  const room = await deps.store.getRoom(roomId);
  if (!room || (actor.role !== Role.staff && room.customerId !== actor.userId)) throw roomNotFound();
  if (actor.role !== Role.staff) throw staffOnly();
  const { staffId, expectedAssigneeId: expected } = input;
  if (staffId !== null) await requireKnownStaff(deps, actor, room, staffId);
  const result = await deps.assignments.assignRoom(roomId, staffId, expected, now(deps).toISOString());
  switch (result.kind) {
    case 'not_found':
      throw roomNotFound();
    case 'closed':
      throw roomClosed();
    case 'conflict':
      throw new AlreadyAssigned(result.assigneeId);
    case 'unchanged':
      // Already so; a failure after an earlier write may have left it uncounted (adding twice changes nothing).
      if (staffId !== null) await deps.assignments.addLoad(staffId, roomId);
      return view(result.room, actor);
    case 'changed':
      await deps.events.roomChanged('assigned', result.room, actor.userId);
      // The write applied, so the room was `expected`'s until now: their count loses it. A failure here is a
      // 500 after the change; asking again finds it made and counts it (the 'unchanged' case above).
      await Promise.all([
        expected === null ? undefined : deps.assignments.dropLoad(expected, [roomId]),
        staffId === null ? undefined : deps.assignments.addLoad(staffId, roomId),
      ]);
      return view(result.room, actor);
  }
}

/**
 * The caller themselves, a staff member of the room, or a staff member online: nobody else can be proven to
 * be staff (there is no directory to ask), and a room given to a typo would wait for nobody.
 */
async function requireKnownStaff(deps: AssignmentDeps, actor: Actor, room: Room, staffId: string) {
  if (isSessionNamespaced(staffId)) throw unknownStaff();
  if (staffId === actor.userId || room.staffIds.includes(staffId)) return;
  const online = await onlineStaff(deps);
  if (!online.some((user) => user.userId === staffId)) throw unknownStaff();
}

/**
 * A staff member leaves a room; if it was theirs, it is unassigned first, so nobody "has" a room they left.
 * The room is read first (a read unit) rather than tried with a conditional write, which costs a write unit
 * even when refused, as it would be for every helper who leaves.
 */
export async function leaveAndRelease(deps: AssignmentDeps, actor: Actor, roomId: string): Promise<RoomView> {
  if (actor.role === Role.staff && (await deps.store.getRoom(roomId))?.assigneeId === actor.userId) {
    const released = await deps.assignments.releaseIfAssignee(roomId, actor.userId, now(deps).toISOString());
    if (released) {
      await deps.assignments.dropLoad(actor.userId, [roomId]);
      await deps.events.roomChanged('assigned', released, actor.userId);
    }
  }
  return leaveRoom(deps, actor, roomId);
}

/**
 * Closes a room, and stops counting it for its assignee (who stays on the room, for the record). A count
 * that misses this (a failure after the close) is corrected when auto-assignment next finds them at the cap.
 */
export async function closeAndRelease(deps: AssignmentDeps, actor: Actor, roomId: string): Promise<RoomView> {
  const room = await closeRoom(deps, actor, roomId);
  if (room.assigneeId !== null) await deps.assignments.dropLoad(room.assigneeId, [roomId]);
  return room;
}

// ---------------------------------------------------------------------------------------------------------------
// Auto-assignment

/** `AUTO_ASSIGN`: `off`, or `round-robin:<cap>` (new rooms go round the online staff, at most cap each). */
export type AutoAssignPolicy =
  | { readonly kind: 'off' }
  | { readonly kind: 'round-robin'; readonly cap: number };

/**
 * Gives a new room to the next online staff member, in turn, who has fewer than `cap` open rooms assigned;
 * leaves it unassigned (in the queue's "Unassigned") when everyone is at the cap or nobody is online.
 *
 * The turn is one counter in the table, and each staff member's count a set of room ids with a conditional
 * add, so two containers giving out rooms at once keep the turns fair and nobody past the cap. Counts that
 * stayed too high (a room closed while its count could not be updated) are checked against the rooms
 * themselves, only when everyone online seems to be at the cap.
 */
export async function autoAssign(
  deps: AssignmentDeps,
  room: RoomView,
  policy: AutoAssignPolicy,
): Promise<RoomView> {
  if (policy.kind === 'off' || room.assigneeId !== null) return room;
  const online = (await onlineStaff(deps)).map((user) => user.userId).sort();
  if (online.length === 0) return room;
  const [loads, turn] = await Promise.all([deps.assignments.loadsOf(online), deps.assignments.nextTurn()]);
  const order = online.map((_, i) => online[(turn + i) % online.length] as string);
  const given = await giveToFirstUnderCap(deps, room, order, loads, policy.cap);
  if (given) return given;
  await correctLoads(deps, loads);
  return (await giveToFirstUnderCap(deps, room, order, loads, policy.cap)) ?? room;
}

async function giveToFirstUnderCap(
  deps: AssignmentDeps,
  room: RoomView,
  order: readonly string[],
  loads: ReadonlyMap<string, readonly string[]>,
  cap: number,
): Promise<RoomView | null> {
  for (const staffId of order) {
    if ((loads.get(staffId)?.length ?? 0) >= cap) continue;
    // Counted first, under the cap, so two rooms given out at once cannot both take the last place.
    if (!(await deps.assignments.addLoad(staffId, room.id, cap))) continue;
    const result = await deps.assignments.assignRoom(room.id, staffId, null, now(deps).toISOString());
    if (result.kind !== 'changed') {
      await deps.assignments.dropLoad(staffId, [room.id]);
      return null;
    }
    await deps.events.roomChanged('assigned', result.room, staffId);
    return { ...result.room, unreadCount: room.unreadCount };
  }
  return null;
}

/** Drops from each count the rooms that are closed, gone or no longer that person's. */
async function correctLoads(deps: AssignmentDeps, loads: Map<string, string[]>): Promise<void> {
  const ids = [...new Set([...loads.values()].flat())];
  if (ids.length === 0) return;
  const rooms = new Map((await deps.assignments.roomsById(ids)).map((room) => [room.id, room]));
  await Promise.all(
    [...loads].map(async ([staffId, roomIds]) => {
      const stale = roomIds.filter((id) => {
        const room = rooms.get(id);
        return room?.status !== 'open' || room.assigneeId !== staffId;
      });
      if (stale.length === 0) return;
      await deps.assignments.dropLoad(staffId, stale);
      loads.set(
        staffId,
        roomIds.filter((id) => !stale.includes(id)),
      );
    }),
  );
}
