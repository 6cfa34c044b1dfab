import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { RoomChanges } from '../domain/ports.js';
import type { Room } from '../domain/types.js';
import { toRoom } from './items.js';
import { keys } from './keys.js';
import type { Item } from './table.js';

const ROOM_PREFIX = 'ROOM#';

/**
 * What a batch of the table's stream records says about rooms: the newest image of each room item that
 * changed, and the newest typing state of each user who typed. Records of every other item (messages,
 * claims, connections, counters) say nothing a queue summary needs and are skipped; so are removals (a room
 * item is never deleted; a typing item's TTL removal is no news).
 *
 * Stream records arrive in write order per item, so the last image of a room in the batch is its newest.
 */
export function roomChangesOf(records: readonly DynamoDBRecord[]): RoomChanges {
  const rooms = new Map<string, Room>();
  const typing = new Map<string, Map<string, boolean>>();
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    const sk = record.dynamodb?.Keys?.sk?.S;
    const pk = record.dynamodb?.Keys?.pk?.S;
    if (!image || !pk?.startsWith(ROOM_PREFIX) || sk === undefined) continue;
    if (sk === keys.roomSortKey) {
      const room = toRoom(itemOf(image));
      rooms.set(room.id, room);
    } else if (sk.startsWith(keys.typingPrefix)) {
      const item = itemOf(image);
      const roomId = String(item.room_id);
      const users = typing.get(roomId) ?? new Map<string, boolean>();
      users.set(String(item.user_id), item.is_typing === true);
      typing.set(roomId, users);
    }
  }
  return {
    rooms,
    typing: new Map(
      [...typing].map(([roomId, users]) => [
        roomId,
        [...users].filter(([, isTyping]) => isTyping).map(([userId]) => userId),
      ]),
    ),
  };
}

// The `aws-lambda` types declare their own AttributeValue; it is the same wire shape as the SDK's.
const itemOf = (image: Record<string, unknown>): Item =>
  unmarshall(image as Record<string, AttributeValue>) as Item;
