import { BadRequest } from '../domain/errors.js';
import type { PageRequest } from '../domain/ports.js';
import type { Page, Room } from '../domain/types.js';
import { toRoom } from './items.js';
import { keys } from './keys.js';
import type { Item, Table } from './table.js';

/**
 * Closing a room takes it out of the legacy open-rooms index (a room written before the move onto gsi3 may
 * still carry gsi2 keys); its gsi3 keys are set to the closed rooms' instead.
 */
export const LEGACY_OPEN_ROOM_ATTRIBUTES = 'gsi2pk, gsi2sk';

/**
 * The closed rooms, newest close first: the staff's record of every conversation that ended.
 *
 * No index of its own. A room leaves the open-rooms index (gsi3, keys only) when it closes; the same update
 * that closes it puts it back into gsi3 under another partition, `CLOSED#shard`, sorted by the time it closed
 * and its id. So the close stays one conditional write (a room cannot be closed and missing from the list),
 * the close costs the index one more small write (the entry moves instead of going), and a deployed stack
 * needs no new index, which CloudFormation would have to build and backfill in a deploy of its own. Nothing
 * writes a closed room's keys again: sends, typing, joins and renames all refuse a closed room.
 *
 * Sharded like the open rooms, with the same count: closes are far fewer than messages, but every one lands
 * at the newest end of its partition. Raising the count needs no migration: a room stays in the shard it
 * closed into, and the list reads every shard below the count, the old ones included.
 */
export class ClosedRooms {
  constructor(
    private readonly table: Table,
    /** Partitions of the index (the open rooms' count). */
    private readonly shards: number,
  ) {}

  /** The gsi3 attributes of a room closed at `closedAt`, as `SET` clauses of the close (values `:closed0`…). */
  restated(roomId: string, closedAt: string): { clauses: string[]; values: Item } {
    return {
      clauses: ['gsi3pk = :closed0', 'gsi3sk = :closed1'],
      values: {
        ':closed0': keys.closedRoomsOf(roomId, this.shards),
        ':closed1': keys.timeOrdered(closedAt, roomId),
      },
    };
  }

  /**
   * One page, newest close first: each shard's next `limit + 1` entries after the cursor (keys only), merged,
   * then the rooms themselves in one batch. A cursor is the sort key of the last entry of the page before, so
   * rooms closing meanwhile (newer than every cursor) never shift a page or repeat a room.
   */
  async list(page: PageRequest): Promise<Page<Room>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const perShard = await Promise.all(
      Array.from({ length: this.shards }, (_, shard) =>
        this.table.queryAll(
          {
            IndexName: 'gsi3',
            KeyConditionExpression: after === undefined ? 'gsi3pk = :pk' : 'gsi3pk = :pk AND gsi3sk < :after',
            ExpressionAttributeValues: {
              ':pk': keys.closedRooms(shard),
              ...(after === undefined ? {} : { ':after': after }),
            },
            ScanIndexForward: false,
          },
          page.limit + 1,
        ),
      ),
    );
    // Sort keys end in the room id, so the merged order is total.
    const merged = perShard.flat().sort((a, b) => String(b.gsi3sk).localeCompare(String(a.gsi3sk)));
    const entries = merged.slice(0, page.limit);
    const last = entries.at(-1);
    const nextCursor =
      merged.length > page.limit && last ? Buffer.from(String(last.gsi3sk)).toString('base64url') : null;
    const found = new Map(
      (await this.table.batchGet(entries.map((entry) => ({ pk: entry.pk, sk: entry.sk }))))
        .map(toRoom)
        .map((room) => [room.id, room]),
    );
    // In the index's order; a room is never reopened, but the check costs nothing.
    const rooms = entries.flatMap((entry) => {
      const room = found.get(keys.roomIdOfKey(String(entry.pk)));
      return room?.status === 'closed' ? [room] : [];
    });
    return { items: rooms, nextCursor };
  }
}

/** A cursor is the sort key of the last entry a page read: `<closed at>#<room id>`. */
function decodeCursor(cursor: string): string {
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  // Nothing longer than a time and an id reaches DynamoDB (sort keys stop at 1 KB: a 500, not this 400).
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[\w-]{1,64}$/.test(value))
    throw new BadRequest('Invalid cursor', 'invalid_cursor');
  return value;
}
