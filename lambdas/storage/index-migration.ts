import { PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ClosedRooms } from './closed-rooms.js';
import { customerRoomItem, roomIdOf, toRoom } from './items.js';
import { keys } from './keys.js';
import { OpenRooms } from './open-rooms.js';
import { applied, conditionFailed, type Item, type Table } from './table.js';

export interface MigrationCounts {
  /** Room items read. */
  readonly rooms: number;
  /** Open rooms given their gsi3 keys. */
  readonly indexed: number;
  /** Rooms whose customer-list keys moved from the room item to a `customer_room` entry. */
  readonly listed: number;
  /** Closed rooms given the gsi3 keys of the closed-rooms list (closed before there was one). */
  readonly closed: number;
}

/**
 * Moves the rooms written before gsi3 onto today's layout, once, between the two deploys of docs/deploy.md:
 * an open room without gsi3 keys gets them (from its last activity), and a room item that still carries its
 * customer-list keys (gsi1) gets a `customer_room` entry instead, so no index projects the room item any more;
 * a room closed before the closed-rooms list gets its entry there (by the time it closed).
 * Each change is a conditional update that adds one to the room's version; running it again changes nothing.
 *
 * The one Scan of the code base: an operator's one-off pass over the table (`npm run migrate:rooms`), never a
 * request path. The functions' roles cannot Scan.
 */
export async function migrateRoomIndexes(
  table: Table,
  shards: number,
  log: (line: string) => void = () => undefined,
): Promise<MigrationCounts> {
  const openRooms = new OpenRooms(table, shards);
  const closedRooms = new ClosedRooms(table, shards);
  let rooms = 0;
  let indexed = 0;
  let listed = 0;
  let closed = 0;
  let start: Item | undefined;
  do {
    const page = await table.db.send(
      new ScanCommand({
        TableName: table.name,
        FilterExpression: '#type = :room AND sk = :sk',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':room': 'room', ':sk': keys.room('').sk },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of (page.Items ?? []) as Item[]) {
      rooms += 1;
      // Not yet indexed, or indexed under another shard count (a run with a wrong --shards): a run with the
      // stack's count puts it where active-rooms looks.
      const partition = keys.openRoomsOf(roomIdOf(item), shards);
      if (
        item.status === 'open' &&
        item.gsi3pk !== partition &&
        (await index(table, openRooms, item, partition))
      )
        indexed += 1;
      if (item.gsi1pk !== undefined && (await list(table, item))) listed += 1;
      if (
        item.status === 'closed' &&
        item.gsi3pk === undefined &&
        (await listClosed(table, closedRooms, item))
      )
        closed += 1;
    }
    start = page.LastEvaluatedKey as Item | undefined;
    log(`${rooms} rooms read, ${indexed} indexed, ${listed} listed by entry, ${closed} listed as closed`);
  } while (start);
  return { rooms, indexed, listed, closed };
}

/** Puts a closed room without gsi3 keys in the closed-rooms list, by when it closed (or last saw activity). */
function listClosed(table: Table, closedRooms: ClosedRooms, item: Item): Promise<boolean> {
  const roomId = roomIdOf(item);
  const { clauses, values } = closedRooms.restated(roomId, String(item.closed_at ?? item.last_activity_at));
  return applied(
    table.db.send(
      new UpdateCommand({
        TableName: table.name,
        Key: keys.room(roomId),
        UpdateExpression: `SET ${clauses.join(', ')} ADD version :one`,
        ConditionExpression: '#status = :closed AND attribute_not_exists(gsi3pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...values, ':closed': 'closed', ':one': 1 },
      }),
    ),
  );
}

/** Gives an open room its gsi3 keys in `partition`, unless it closed or a send put it there meanwhile. */
function index(table: Table, openRooms: OpenRooms, item: Item, partition: string): Promise<boolean> {
  const roomId = roomIdOf(item);
  const { clauses, values } = openRooms.restated(roomId, String(item.last_activity_at));
  return applied(
    table.db.send(
      new UpdateCommand({
        TableName: table.name,
        Key: keys.room(roomId),
        UpdateExpression: `SET ${clauses.join(', ')} ADD version :one`,
        ConditionExpression: '#status = :open AND (attribute_not_exists(gsi3pk) OR gsi3pk <> :partition)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...values, ':open': 'open', ':one': 1, ':partition': partition },
      }),
    ),
  );
}

/**
 * Lists the room by a `customer_room` entry, then takes the keys off the room item. A close between the two
 * is caught by the room as the update left it: the entry is written again with that status.
 */
async function list(table: Table, item: Item): Promise<boolean> {
  const room = toRoom(item);
  await table.db.send(new PutCommand({ TableName: table.name, Item: customerRoomItem(room) }));
  try {
    const { Attributes } = await table.db.send(
      new UpdateCommand({
        TableName: table.name,
        Key: keys.room(room.id),
        UpdateExpression: 'REMOVE gsi1pk, gsi1sk ADD version :one',
        ConditionExpression: 'attribute_exists(gsi1pk)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const now = toRoom(Attributes as Item);
    if (now.status !== room.status) {
      await table.db.send(new PutCommand({ TableName: table.name, Item: customerRoomItem(now) }));
    }
    return true;
  } catch (error) {
    // Another pass moved it already.
    if (conditionFailed(error)) return false;
    throw error;
  }
}
