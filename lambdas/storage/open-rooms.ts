import { BadRequest } from '../domain/errors.js';
import type { PageRequest } from '../domain/ports.js';
import type { Page, Room } from '../domain/types.js';
import { toRoom } from './items.js';
import { keys } from './keys.js';
import type { Item, Table } from './table.js';

/** What one open-rooms index is keyed by. */
interface OpenRoomsIndex {
  readonly name: 'gsi3' | 'gsi2';
  readonly pk: string;
  readonly sk: string;
  /** The sort key of a room whose last activity is `at`. */
  readonly sort: (at: string, roomId: string) => string;
}

const SMALL: OpenRoomsIndex = { name: 'gsi3', pk: 'gsi3pk', sk: 'gsi3sk', sort: keys.openRoomsSort };
/** The index `SMALL` replaced, read and kept up while a deployed stack moves over (docs/deploy.md). */
const LEGACY: OpenRoomsIndex = { name: 'gsi2', pk: 'gsi2pk', sk: 'gsi2sk', sort: keys.timeOrdered };

/**
 * The open rooms: the index attributes an open room carries, and the staff's list of them. The list reads the
 * index (keys only, every shard), then the rooms themselves in one batch, and orders what it read by exact last
 * activity. Paging follows the index's order (hour of last activity, then id), so a page is the newest hours
 * first and no room is listed twice or skipped while it stays where it is; within a page, newest activity first.
 */
export class OpenRooms {
  private readonly indexes: readonly OpenRoomsIndex[];

  constructor(
    private readonly table: Table,
    /** Partitions of the index. */
    private readonly shards: number,
    /** Keep the legacy index up and list from it, for the one deploy that moves a stack over. @default false */
    legacy = false,
  ) {
    this.indexes = legacy ? [LEGACY, SMALL] : [SMALL];
  }

  /** The index attributes of an open room whose last activity is `at`. */
  attributes(roomId: string, at: string): Item {
    const partition = keys.openRoomsOf(roomId, this.shards);
    return Object.fromEntries(
      this.indexes.flatMap((index) => [
        [index.pk, partition],
        [index.sk, index.sort(at, roomId)],
      ]),
    );
  }

  /**
   * The same as `SET` clauses of an update (values named `:openRooms0`…). Setting a key to the value it
   * already has writes nothing to the index, so a send re-states them: its room moves only when the hour
   * changes, and a room reaches its shard under a raised shard count (or the new index) on its next message.
   */
  restated(roomId: string, at: string): { clauses: string[]; values: Item } {
    const entries = Object.entries(this.attributes(roomId, at));
    return {
      clauses: entries.map(([name], i) => `${name} = :openRooms${i}`),
      values: Object.fromEntries(entries.map(([, value], i) => [`:openRooms${i}`, value])),
    };
  }

  async list(page: PageRequest): Promise<Page<Room>> {
    const index = this.indexes[0] ?? SMALL;
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const perShard = await Promise.all(
      Array.from({ length: this.shards }, (_, shard) =>
        this.table.queryAll(
          {
            IndexName: index.name,
            KeyConditionExpression: after === undefined ? '#pk = :pk' : '#pk = :pk AND #sk < :after',
            ExpressionAttributeNames: {
              '#pk': index.pk,
              ...(after === undefined ? {} : { '#sk': index.sk }),
            },
            ExpressionAttributeValues: {
              ':pk': keys.openRooms(shard),
              ...(after === undefined ? {} : { ':after': after }),
            },
            ScanIndexForward: false,
          },
          page.limit + 1,
        ),
      ),
    );
    // Sort keys are unique (`…#id`), so the merged order is total and a cursor resumes strictly after one entry.
    const merged = perShard.flat().sort((a, b) => String(b[index.sk]).localeCompare(String(a[index.sk])));
    const entries = merged.slice(0, page.limit);
    const last = entries.at(-1);
    const nextCursor =
      merged.length > page.limit && last ? Buffer.from(String(last[index.sk])).toString('base64url') : null;
    const items = await this.table.batchGet(entries.map((entry) => ({ pk: entry.pk, sk: entry.sk })));
    const rooms = items
      .map(toRoom)
      // The index is eventually consistent: a room that closed a moment ago may still be in it.
      .filter((room) => room.status === 'open')
      .sort((a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt) || b.id.localeCompare(a.id));
    return { items: rooms, nextCursor };
  }
}

/** A cursor is the sort key of the last entry a page read: `<hour or time>#<room id>`. */
function decodeCursor(cursor: string): string {
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  // Exactly an hour (gsi3) or a full time (the legacy gsi2), then a room id: nothing longer reaches DynamoDB,
  // whose sort keys stop at 1 KB (a longer one would be a 500, not this 400).
  if (!/^\d{4}-\d\d-\d\dT\d\d(?::\d\d:\d\d\.\d{3}Z)?#[\w-]{1,64}$/.test(value))
    throw new BadRequest('Invalid cursor', 'invalid_cursor');
  return value;
}
