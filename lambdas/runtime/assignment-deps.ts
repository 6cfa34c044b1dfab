import { type AssignmentDeps, autoAssign } from '../domain/assignment.js';
import type { RoomView } from '../domain/types.js';
import { AssignmentStore } from '../storage/assignment-store.js';
import { ClosedRooms } from '../storage/closed-rooms.js';
import { OpenRooms } from '../storage/open-rooms.js';
import { RoomStore } from '../storage/room-store.js';
import { Table } from '../storage/table.js';
import { commandDeps, staffPresence } from './command-deps.js';
import { config, documentClient } from './deps.js';
import { logger } from './logger.js';

const table = new Table(documentClient, config.tableName, Date.now);
const rooms = new RoomStore(
  table,
  new OpenRooms(table, config.openRoomShards, config.legacyOpenRoomsIndex),
  new ClosedRooms(table, config.openRoomShards),
);

/**
 * What the assignment use cases need, created once per container: the command handlers' deps, the
 * assignment store over the same table and client (so the meter counts its calls with the rest), and staff
 * presence checked against the sockets.
 */
export const assignmentDeps: AssignmentDeps = {
  ...commandDeps,
  assignments: new AssignmentStore(table, rooms),
  presence: staffPresence,
};

/**
 * A new room, given to someone if `AUTO_ASSIGN` says so. The room is already open and in the queue, so a
 * failure here costs it only its assignee: it is logged at ERROR (the functions' error alarm sees it) and
 * the room is answered as it is, unassigned.
 */
export async function autoAssignNewRoom(room: RoomView): Promise<RoomView> {
  try {
    return await autoAssign(assignmentDeps, room, config.autoAssign);
  } catch (error) {
    logger.error('Auto-assignment failed; the room stays unassigned', { error, roomId: room.id });
    return room;
  }
}
