import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoStore } from '../../../lambdas/storage/dynamo-store.js';
import { migrateRoomIndexes } from '../../../lambdas/storage/index-migration.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { Table } from '../../../lambdas/storage/table.js';
import { useTable } from '../../support/table.js';

const TABLE = 'migration-test';
const SHARDS = 2;
const local = useTable(TABLE);

/** A room item as the code before gsi3 wrote it: gsi1 and gsi2 keys on the room item, no version. */
async function putOldRoom(id: string, status: 'open' | 'closed', at: string): Promise<void> {
  await local.db().send(
    new PutCommand({
      TableName: TABLE,
      Item: {
        ...keys.room(id),
        type: 'room',
        id,
        room_type: 'general',
        subject: 'Old',
        status,
        customer_id: 'olga',
        created_at: at,
        last_activity_at: at,
        seq: 0,
        last_message_id: 0,
        reads: { [keys.reader('olga')]: 0 },
        gsi1pk: keys.customerRooms('olga'),
        gsi1sk: keys.timeOrdered(at, id),
        ...(status === 'open' ? { gsi2pk: 'OPEN#0', gsi2sk: keys.timeOrdered(at, id) } : {}),
      },
    }),
  );
}

const raw = async (key: { pk: string; sk: string }) =>
  (await local.db().send(new GetCommand({ TableName: TABLE, Key: key }))).Item ?? {};

describe('migrateRoomIndexes', () => {
  it('indexes the open rooms written before gsi3 and lists every room by a customer entry, once', async () => {
    const open = '00000000-0000-4000-8000-00000000aaa1';
    const closed = '00000000-0000-4000-8000-00000000aaa2';
    await putOldRoom(open, 'open', '2026-02-01T10:15:00.000Z');
    await putOldRoom(closed, 'closed', '2026-02-01T09:00:00.000Z');
    const store = new DynamoStore(local.db(), { tableName: TABLE, openRoomShards: SHARDS });
    expect((await store.listOpenRooms({ limit: 10 })).items).toEqual([]);

    const table = new Table(local.db(), TABLE, Date.now);
    expect(await migrateRoomIndexes(table, SHARDS)).toEqual({ rooms: 2, indexed: 1, listed: 2, closed: 1 });

    expect((await store.listOpenRooms({ limit: 10 })).items.map((r) => r.id)).toEqual([open]);
    const item = await raw(keys.room(open));
    expect(item).toMatchObject({
      gsi3pk: keys.openRoomsOf(open, SHARDS),
      gsi3sk: keys.openRoomsSort('2026-02-01T10:15:00.000Z', open),
      version: 2,
    });
    expect(item.gsi1pk).toBeUndefined();
    expect(await raw(keys.customerRoom(closed))).toMatchObject({ status: 'closed', room_id: closed });
    // Closed before the closed-rooms list: listed there by the time it last saw activity (it has no closed_at).
    expect(await raw(keys.room(closed))).toMatchObject({
      gsi3pk: keys.closedRoomsOf(closed, SHARDS),
      gsi3sk: keys.timeOrdered('2026-02-01T09:00:00.000Z', closed),
    });
    expect((await store.listClosedRooms({ limit: 10 })).items.map((r) => r.id)).toEqual([closed]);
    const listed = await store.listCustomerRooms('olga', { limit: 10 });
    expect(listed.items.map((r) => r.id)).toEqual([open, closed]);
    expect(await store.openRoomIdsOf({ userId: 'olga', role: 'customer' })).toEqual([open]);

    // Again: nothing left to move.
    expect(await migrateRoomIndexes(table, SHARDS)).toEqual({ rooms: 2, indexed: 0, listed: 0, closed: 0 });
    expect((await raw(keys.room(open))).version).toBe(2);
  });

  it('moves a room a run with a wrong --shards put out of sight, when run again with the right count', async () => {
    // A room whose shard differs between the stack's count and a mistaken one.
    const id = Array.from(
      { length: 100 },
      (_, i) => `00000000-0000-4000-8000-0000000bb${String(i).padStart(3, '0')}`,
    ).find((candidate) => keys.openRoomsOf(candidate, 4) !== keys.openRoomsOf(candidate, SHARDS)) as string;
    await putOldRoom(id, 'open', '2026-02-02T10:15:00.000Z');
    const store = new DynamoStore(local.db(), { tableName: TABLE, openRoomShards: SHARDS });
    const table = new Table(local.db(), TABLE, Date.now);
    await migrateRoomIndexes(table, 4);
    expect((await store.listOpenRooms({ limit: 10 })).items.map((r) => r.id)).not.toContain(id);
    expect(await migrateRoomIndexes(table, SHARDS)).toMatchObject({ indexed: 1 });
    expect((await store.listOpenRooms({ limit: 10 })).items.map((r) => r.id)).toContain(id);
    expect(await migrateRoomIndexes(table, SHARDS)).toMatchObject({ indexed: 0 });
  });
});
