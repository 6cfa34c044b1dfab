import type { DynamoDBRecord } from 'aws-lambda';
import type { NotifyChanges } from '../domain/email.js';
import type { Room } from '../domain/types.js';
import { toRoom } from './items.js';
import { roomRecords } from './stream-changes.js';

/**
 * What a batch of the table's stream asks of the notifications: the rooms it created (an INSERT of a room
 * item), and the rooms whose newest message is a staff member's and newer than the room was before the
 * batch (its first record's old image), each once, at its newest image. A room item changes for many reasons
 * (reads, typing, joins, renames, notes' bookkeeping); only a new message id moves `last_message_id`, so only
 * that is a reply, and a message the customer sent after it in the same batch means they are there.
 *
 * Stream records arrive in write order per item, so the last image of a room in the batch is its newest.
 */
export function notifyChangesOf(records: readonly DynamoDBRecord[]): NotifyChanges {
  const created = new Map<string, Room>();
  const newest = new Map<string, Room>();
  const before = new Map<string, number>();
  for (const { eventName, room, old } of roomRecords(records)) {
    if (!before.has(room.id)) before.set(room.id, old ? toRoom(old).lastMessageId : 0);
    if (eventName === 'INSERT') created.set(room.id, room);
    newest.set(room.id, room);
  }
  const staffReplies = [...newest.values()].filter(
    (room) => room.lastMessage?.senderRole === 'staff' && room.lastMessageId > (before.get(room.id) ?? 0),
  );
  return { newRooms: [...created.values()], staffReplies };
}
