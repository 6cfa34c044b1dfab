import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { legacyOpenRoomsIndex, tableSchema } from '../../../lambdas/contract/table-schema.js';
import type { Actor, Room } from '../../../lambdas/domain/types.js';
import { DynamoMeter } from '../../../lambdas/storage/client.js';
import { DynamoStore } from '../../../lambdas/storage/dynamo-store.js';
import { keys, shardOf } from '../../../lambdas/storage/keys.js';
import { ensureTable } from '../../../local/dynamo.js';
import { sampleRoom, useDynamo } from '../../support/table.js';

const alice: Actor = { userId: 'alice', role: 'customer' };
const SHARDS = 3;

const local = useDynamo();
let counter = 0;

/** A store over a fresh table of its own, so a listing holds only the rooms a test made. */
async function freshStore(legacy = false): Promise<{ store: DynamoStore; tableName: string }> {
  counter += 1;
  const tableName = `open-rooms-${counter}`;
  if (legacy) await createTableWithLegacyIndex(tableName);
  else await ensureTable(local.endpoint, tableName);
  const store = new DynamoStore(local.db(), {
    tableName,
    openRoomShards: SHARDS,
    legacyOpenRoomsIndex: legacy,
  });
  return { store, tableName };
}

/** The table as a stack has it during the move onto gsi3: the legacy gsi2 beside the schema's indexes. */
async function createTableWithLegacyIndex(tableName: string): Promise<void> {
  const indexes = [...tableSchema.globalSecondaryIndexes, legacyOpenRoomsIndex];
  const client = new DynamoDBClient({ endpoint: local.endpoint });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        'pk',
        'sk',
        ...indexes.flatMap((i) => [i.partitionKey.name, i.sortKey.name]),
      ].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projection },
      })),
    }),
  );
  client.destroy();
}

/** A room last active at `at`, the time the open-rooms index keys it by. */
const newRoom = (at: string) => sampleRoom({ createdAt: at, lastActivityAt: at });

const sendAt = (store: DynamoStore, roomId: string, createdAt: string) =>
  store.appendMessage({ roomId, sender: alice, content: 'hi', createdAt, clientMessageId: null });

async function rawRoom(tableName: string, roomId: string): Promise<Record<string, unknown>> {
  const { Item } = await local.db().send(new GetCommand({ TableName: tableName, Key: keys.room(roomId) }));
  return Item ?? {};
}

async function allPages(store: DynamoStore, limit: number): Promise<Room[][]> {
  const pages: Room[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listOpenRooms({ limit, cursor });
    pages.push([...page.items]);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return pages;
}

/** The room's hour in the index: its last activity less the room's own offset (0-59 minutes). */
const hourOf = (room: Room) => keys.openRoomsSort(room.lastActivityAt, room.id).split('#')[0]!;
const offsetMs = (roomId: string) => shardOf(roomId, 60) * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('open-rooms index keys', () => {
  it('keys an open room by its shard and the hour of its last activity, and no longer by gsi2', async () => {
    const { store, tableName } = await freshStore();
    const room = sampleRoom();
    // Five minutes into the room's own hour 05.
    const at = iso(Date.parse('2026-03-04T05:05:00.000Z') + offsetMs(room.id));
    await store.createRoom({ ...room, createdAt: at, lastActivityAt: at });
    const item = await rawRoom(tableName, room.id);
    expect(item.gsi3pk).toBe(`OPEN#${shardOf(room.id, SHARDS)}`);
    expect(item.gsi3sk).toBe(`2026-03-04T05#${room.id}`);
    expect(item.gsi2pk).toBeUndefined();
    expect(item.gsi2sk).toBeUndefined();
  });

  it('leaves the entry where it is for a message in the same hour and moves it in the next one', async () => {
    const { store, tableName } = await freshStore();
    const room = sampleRoom();
    const start = Date.parse('2026-03-04T05:00:00.000Z') + offsetMs(room.id);
    await store.createRoom({ ...room, createdAt: iso(start), lastActivityAt: iso(start) });
    await sendAt(store, room.id, iso(start + 3_600_000 - 1));
    const sameHour = await rawRoom(tableName, room.id);
    expect(sameHour.gsi3sk).toBe(`2026-03-04T05#${room.id}`);
    expect(sameHour.last_activity_at).toBe(iso(start + 3_600_000 - 1));
    await sendAt(store, room.id, iso(start + 3_600_000));
    expect((await rawRoom(tableName, room.id)).gsi3sk).toBe(`2026-03-04T06#${room.id}`);
  });

  it('starts each room’s hour at a minute of its own, so entries do not all move at the top of the hour', () => {
    const ids = Array.from(
      { length: 200 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const movedAt = new Set(ids.map((id) => shardOf(id, 60)));
    expect(movedAt.size).toBeGreaterThan(50);
    for (const id of ids) {
      const start = Date.parse('2026-03-04T05:00:00.000Z') + offsetMs(id);
      expect(keys.openRoomsSort(iso(start - 1), id)).toBe(`2026-03-04T04#${id}`);
      expect(keys.openRoomsSort(iso(start), id)).toBe(`2026-03-04T05#${id}`);
    }
  });

  it('takes the room out of the open rooms when it closes (its entry moves to the closed ones)', async () => {
    const { store, tableName } = await freshStore();
    const room = newRoom('2026-03-04T05:00:00.000Z');
    await store.createRoom(room);
    await store.closeRoom(room.id, 'sam', '2026-03-04T05:10:00.000Z');
    const item = await rawRoom(tableName, room.id);
    expect(item.gsi3pk).toBe(`CLOSED#${shardOf(room.id, SHARDS)}`);
    expect(item.gsi3sk).toBe(`2026-03-04T05:10:00.000Z#${room.id}`);
    expect((await store.listOpenRooms({ limit: 10 })).items).toEqual([]);
  });
});

describe('open-rooms list', () => {
  it('orders what it reads by exact last activity, newest first, and leaves closed rooms out', async () => {
    const { store } = await freshStore();
    const rooms = ['05:10', '05:30', '05:20', '04:59'].map((t) => newRoom(`2026-03-04T${t}:00.000Z`));
    for (const room of rooms) await store.createRoom(room);
    await sendAt(store, rooms[3]!.id, '2026-03-04T05:40:00.000Z');
    await store.closeRoom(rooms[1]!.id, 'sam', '2026-03-04T05:45:00.000Z');
    const { items, nextCursor } = await store.listOpenRooms({ limit: 10 });
    expect(items.map((r) => r.id)).toEqual([rooms[3]!.id, rooms[2]!.id, rooms[0]!.id]);
    expect(items[0]?.lastMessageId).toBe(1);
    expect(nextCursor).toBeNull();
  });

  it.each([1, 4, 7, 30])(
    'pages through every shard with pages of %i: each open room once, newest hours first',
    async (limit) => {
      const { store } = await freshStore();
      // 30 rooms over three hours, ten in each, so pages end inside an hour and shards interleave.
      const rooms = Array.from({ length: 30 }, (_, i) =>
        newRoom(`2026-03-04T0${5 + (i % 3)}:${String(i).padStart(2, '0')}:00.000Z`),
      );
      for (const room of rooms) await store.createRoom(room);
      const pages = await allPages(store, limit);
      const listed = pages.flat().map((r) => r.id);
      expect(listed).toHaveLength(rooms.length);
      expect(new Set(listed)).toEqual(new Set(rooms.map((r) => r.id)));
      for (const page of pages) {
        expect(page.length).toBeLessThanOrEqual(limit);
        const times = page.map((r) => r.lastActivityAt);
        expect(times).toEqual([...times].sort().reverse());
      }
      // Across pages, by hour: no room of a later page is in a newer hour than one of an earlier page.
      for (let i = 1; i < pages.length; i++) {
        const oldestBefore = pages[i - 1]!.map(hourOf).sort()[0]!;
        for (const room of pages[i]!) expect(hourOf(room) <= oldestBefore).toBe(true);
      }
    },
  );

  it('reads the index and then the rooms in one batch: one Query per shard, one BatchGetItem', async () => {
    const meter = new DynamoMeter();
    counter += 1;
    const tableName = `open-rooms-${counter}`;
    await ensureTable(local.endpoint, tableName);
    const store = new DynamoStore(local.db(meter), { tableName, openRoomShards: SHARDS });
    for (let i = 0; i < 5; i++) await store.createRoom(newRoom(`2026-03-04T05:0${i}:00.000Z`));
    meter.take();
    expect((await store.listOpenRooms({ limit: 10 })).items).toHaveLength(5);
    expect(meter.take().calls).toEqual({ Query: SHARDS, BatchGetItem: 1 });
  });

  it.each([
    Buffer.from('not a key').toString('base64url'),
    Buffer.from('2026-03-04T05#a b').toString('base64url'),
    // Longer than any room id: DynamoDB would refuse a sort key over 1 KB with a 500, not a 400.
    Buffer.from(`2026-03-04T05#${'a'.repeat(1500)}`).toString('base64url'),
    Buffer.from('2026-03-04T05:00#room').toString('base64url'),
  ])('refuses a cursor that is no index position (%s)', async (cursor) => {
    const { store } = await freshStore();
    await expect(store.listOpenRooms({ limit: 1, cursor })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_cursor',
    });
  });
});

describe('open-rooms while a stack moves onto gsi3 (legacyOpenRoomsIndex)', () => {
  it('keeps gsi2 up beside gsi3 and lists from gsi2, so rooms written before the move stay listed', async () => {
    const { store, tableName } = await freshStore(true);
    const rooms = [newRoom('2026-03-04T05:00:00.000Z'), newRoom('2026-03-04T05:10:00.000Z')];
    for (const room of rooms) await store.createRoom(room);
    await sendAt(store, rooms[0]!.id, '2026-03-04T05:20:00.000Z');
    const item = await rawRoom(tableName, rooms[0]!.id);
    expect(item).toMatchObject({
      gsi2pk: `OPEN#${shardOf(rooms[0]!.id, SHARDS)}`,
      gsi2sk: `2026-03-04T05:20:00.000Z#${rooms[0]!.id}`,
      gsi3pk: `OPEN#${shardOf(rooms[0]!.id, SHARDS)}`,
      gsi3sk: keys.openRoomsSort('2026-03-04T05:20:00.000Z', rooms[0]!.id),
    });
    const pages = await allPages(store, 1);
    expect(pages.flat().map((r) => r.id)).toEqual([rooms[0]!.id, rooms[1]!.id]);
    await store.closeRoom(rooms[0]!.id, 'sam', '2026-03-04T05:30:00.000Z');
    const closed = await rawRoom(tableName, rooms[0]!.id);
    expect([closed.gsi2pk, closed.gsi2sk, closed.gsi3pk]).toEqual([
      undefined,
      undefined,
      `CLOSED#${shardOf(rooms[0]!.id, SHARDS)}`,
    ]);
  });
});
