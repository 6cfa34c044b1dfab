import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Room } from '../../../lambdas/domain/types.js';
import { DynamoMeter } from '../../../lambdas/storage/client.js';
import { DynamoStore } from '../../../lambdas/storage/dynamo-store.js';
import { keys, shardOf } from '../../../lambdas/storage/keys.js';
import { ensureTable } from '../../../local/dynamo.js';
import { sampleRoom, useDynamo } from '../../support/table.js';

const SHARDS = 3;
const local = useDynamo();
let counter = 0;

/** A store over a fresh table of its own (counted by `meter`), so a listing holds only this test's rooms. */
async function freshStore(meter = new DynamoMeter()): Promise<{ store: DynamoStore; tableName: string }> {
  counter += 1;
  const tableName = `closed-rooms-${counter}`;
  await ensureTable(local.endpoint, tableName);
  return { store: new DynamoStore(local.db(meter), { tableName, openRoomShards: SHARDS }), tableName };
}

const iso = (minute: number) => new Date(Date.UTC(2026, 2, 4, 5, minute)).toISOString();

/** `count` rooms, each closed a minute after the one before: the last one closed is the newest. */
async function closedRooms(store: DynamoStore, count: number): Promise<Room[]> {
  const rooms = Array.from({ length: count }, () =>
    sampleRoom({ createdAt: iso(0), lastActivityAt: iso(0) }),
  );
  for (const room of rooms) await store.createRoom(room);
  for (const [i, room] of rooms.entries()) await store.closeRoom(room.id, `staff-${i % 2}`, iso(i + 1));
  return rooms;
}

async function allPages(store: DynamoStore, limit: number): Promise<Room[][]> {
  const pages: Room[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listClosedRooms({ limit, cursor });
    pages.push([...page.items]);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return pages;
}

describe('closed-rooms list', () => {
  it('keys a room by its closed shard and the time it closed, in the same write that closes it', async () => {
    const meter = new DynamoMeter();
    const { store, tableName } = await freshStore(meter);
    const room = sampleRoom();
    await store.createRoom(room);
    meter.take();
    await store.closeRoom(room.id, 'sam', iso(7));
    // The close's own calls, as before: the room, then its customer's entry. Nothing for the list.
    expect(meter.take().calls).toEqual({ UpdateItem: 2 });
    const { Item } = await local.db().send(new GetCommand({ TableName: tableName, Key: keys.room(room.id) }));
    expect(Item).toMatchObject({
      status: 'closed',
      closed_by: 'sam',
      gsi3pk: `CLOSED#${shardOf(room.id, SHARDS)}`,
      gsi3sk: `${iso(7)}#${room.id}`,
    });
  });

  it('lists closed rooms newest close first, with who closed each, and no open room', async () => {
    const { store } = await freshStore();
    const rooms = await closedRooms(store, 4);
    const open = sampleRoom();
    await store.createRoom(open);
    const { items, nextCursor } = await store.listClosedRooms({ limit: 10 });
    expect(items.map((r) => r.id)).toEqual(rooms.map((r) => r.id).reverse());
    expect(items.map((r) => [r.closedBy, r.closedAt])).toEqual([
      ['staff-1', iso(4)],
      ['staff-0', iso(3)],
      ['staff-1', iso(2)],
      ['staff-0', iso(1)],
    ]);
    expect(nextCursor).toBeNull();
  });

  it.each([1, 4, 7, 25])(
    'pages through every shard with pages of %i: each room once, in order',
    async (limit) => {
      const { store } = await freshStore();
      const rooms = await closedRooms(store, 25);
      const pages = await allPages(store, limit);
      for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
      expect(pages.flat().map((r) => r.id)).toEqual(rooms.map((r) => r.id).reverse());
    },
  );

  it('keeps its pages when rooms close while they are read: the newer ones are before the first page', async () => {
    const { store } = await freshStore();
    const rooms = await closedRooms(store, 6);
    const first = await store.listClosedRooms({ limit: 3 });
    const late = sampleRoom();
    await store.createRoom(late);
    await store.closeRoom(late.id, 'sam', iso(30));
    const second = await store.listClosedRooms({ limit: 3, cursor: first.nextCursor ?? undefined });
    expect([...first.items, ...second.items].map((r) => r.id)).toEqual(rooms.map((r) => r.id).reverse());
    expect((await store.listClosedRooms({ limit: 1 })).items[0]?.id).toBe(late.id);
  });

  it('costs one Query per shard and one BatchGetItem a page, whatever the number of closed rooms', async () => {
    const meter = new DynamoMeter();
    const { store } = await freshStore(meter);
    await closedRooms(store, 12);
    meter.take();
    expect((await store.listClosedRooms({ limit: 5 })).items).toHaveLength(5);
    expect(meter.take().calls).toEqual({ Query: SHARDS, BatchGetItem: 1 });
  });

  it('finds rooms closed under a smaller shard count after the count is raised', async () => {
    const { store, tableName } = await freshStore();
    const rooms = await closedRooms(store, 6);
    const raised = new DynamoStore(local.db(), { tableName, openRoomShards: SHARDS * 3 });
    const listed = (await raised.listClosedRooms({ limit: 10 })).items.map((r) => r.id);
    expect(listed).toEqual(rooms.map((r) => r.id).reverse());
  });

  it.each([
    Buffer.from('not a key').toString('base64url'),
    Buffer.from('2026-03-04T05#room').toString('base64url'),
    Buffer.from(`2026-03-04T05:00:00.000Z#${'a'.repeat(1500)}`).toString('base64url'),
  ])('refuses a cursor that is no position in the list (%s)', async (cursor) => {
    const { store } = await freshStore();
    await expect(store.listClosedRooms({ limit: 1, cursor })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_cursor',
    });
  });
});
