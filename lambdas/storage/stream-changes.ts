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
 * changed (typing included: it is an attribute of the room item). Records of every other item (messages,
 * claims, connections, counters) say nothing a queue summary needs and are skipped; so are removals (a room
 * item is never deleted).
 *
 * Stream records arrive in write order per item, so the last image of a room in the batch is its newest.
 */
export function roomChangesOf(records: readonly DynamoDBRecord[]): RoomChanges {
  const rooms = new Map<string, Room>();
  for (const { room, old } of roomRecords(records)) {
    // A closed room that stays closed (a migration, a late cleanup) is no news to any console.
    if (room.status === 'closed' && old?.status === 'closed') continue;
    rooms.set(room.id, room);
  }
  return { rooms };
}

/** One stream record of a room item: what it became, its item before (absent for an INSERT), and why. */
export interface RoomRecord {
  readonly eventName: DynamoDBRecord['eventName'];
  readonly room: Room;
  /** The old image as an item, decoded into a room only by a consumer that needs it. */
  readonly old: Item | undefined;
}

/**
 * The records of room items in a batch, in order, as rooms; every other item's records (messages, claims,
 * connections, counters) and removals (a room item is never deleted) are skipped. Every consumer of the
 * table's stream reads rooms this way.
 */
export function* roomRecords(records: readonly DynamoDBRecord[]): Generator<RoomRecord> {
  for (const record of records) {
    const image = record.dynamodb?.NewImage;
    const { pk, sk } = record.dynamodb?.Keys ?? {};
    if (!image || !pk?.S?.startsWith(ROOM_PREFIX) || sk?.S !== keys.roomSortKey) continue;
    const old = record.dynamodb?.OldImage;
    yield {
      eventName: record.eventName,
      room: toRoom(itemOf(image)),
      old: old ? itemOf(old) : undefined,
    };
  }
}

// The `aws-lambda` types declare their own AttributeValue; it is the same wire shape as the SDK's.
const itemOf = (image: Record<string, unknown>): Item =>
  unmarshall(image as Record<string, AttributeValue>) as Item;
