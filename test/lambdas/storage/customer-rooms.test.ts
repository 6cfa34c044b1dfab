import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Room } from '../../../lambdas/domain/types.js';
import { createDocumentClient, DynamoMeter } from '../../../lambdas/storage/client.js';
import { DynamoStore } from '../../../lambdas/storage/dynamo-store.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { ensureTable, type LocalDynamo, startDynamo } from '../../../local/dynamo.js';

const TABLE = 'customer-rooms-test';
let dynamo: LocalDynamo;
let store: DynamoStore;
const db = () => createDocumentClient(new DynamoMeter());
let counter = 0;

beforeAll(async () => {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  dynamo = await startDynamo();
  await ensureTable(dynamo.endpoint, TABLE);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  store = new DynamoStore(db(), { tableName: TABLE, openRoomShards: 1 });
});
afterAll(async () => dynamo.close());

function newRoom(customerId: string): Room {
  counter += 1;
  const at = new Date(Date.UTC(2026, 2, 4, 5, 0, counter)).toISOString();
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    roomType: 'general',
    subject: 'Help',
    status: 'open',
    customerId,
    staffIds: [],
    createdAt: at,
    lastActivityAt: at,
    closedAt: null,
    closedBy: null,
    lastMessageId: 0,
    lastMessage: null,
    reads: new Map([[customerId, 0]]),
    version: 1,
  };
}

const raw = async (key: { pk: string; sk: string }) =>
  (await db().send(new GetCommand({ TableName: TABLE, Key: key }))).Item ?? {};

describe('A customer’s rooms', () => {
  it('are listed by an entry of their own, so the room item is in no index that projects it', async () => {
    const room = newRoom('carol');
    await store.createRoom(room);
    const item = await raw(keys.room(room.id));
    expect(item.gsi1pk).toBeUndefined();
    expect(item.gsi1sk).toBeUndefined();
    expect(await raw(keys.customerRoom(room.id))).toMatchObject({
      type: 'customer_room',
      room_id: room.id,
      status: 'open',
      gsi1pk: keys.customerRooms('carol'),
    });
    const page = await store.listCustomerRooms('carol', { limit: 10 });
    expect(page.items.map((r) => r.id)).toEqual([room.id]);
  });

  it('list open and closed rooms newest first, and only the open ones among the rooms a socket follows', async () => {
    const rooms = [newRoom('dave'), newRoom('dave'), newRoom('dave')];
    for (const room of rooms) await store.createRoom(room);
    await store.closeRoom(rooms[1]!.id, 'sam', new Date().toISOString());
    expect(await raw(keys.customerRoom(rooms[1]!.id))).toMatchObject({ status: 'closed' });
    const first = await store.listCustomerRooms('dave', { limit: 2 });
    const second = await store.listCustomerRooms('dave', { limit: 2, cursor: first.nextCursor ?? undefined });
    expect([...first.items, ...second.items].map((r) => [r.id, r.status])).toEqual([
      [rooms[2]!.id, 'open'],
      [rooms[1]!.id, 'closed'],
      [rooms[0]!.id, 'open'],
    ]);
    expect((await store.openRoomIdsOf({ userId: 'dave', role: 'customer' })).sort()).toEqual(
      [rooms[0]!.id, rooms[2]!.id].sort(),
    );
  });

  it('still include a room written before the entries existed (the room item keyed in gsi1 itself)', async () => {
    const room = newRoom('erin');
    await store.createRoom(room);
    const older = newRoom('erin');
    await db().send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...keys.room(older.id),
          type: 'room',
          id: older.id,
          room_type: 'general',
          status: 'open',
          customer_id: 'erin',
          created_at: '2025-01-01T00:00:00.000Z',
          last_activity_at: '2025-01-01T00:00:00.000Z',
          seq: 0,
          gsi1pk: keys.customerRooms('erin'),
          gsi1sk: keys.timeOrdered('2025-01-01T00:00:00.000Z', older.id),
        },
      }),
    );
    const page = await store.listCustomerRooms('erin', { limit: 10 });
    expect(page.items.map((r) => r.id)).toEqual([room.id, older.id]);
    expect((await store.openRoomIdsOf({ userId: 'erin', role: 'customer' })).sort()).toEqual(
      [room.id, older.id].sort(),
    );
  });

  it('leave out an entry whose room was never written (its put failed after the entry’s)', async () => {
    const room = newRoom('frank');
    const fired = dynamo.injectFault({
      match: (operation, request) =>
        operation === 'PutItem' && JSON.stringify(request.Item).includes('"sk":{"S":"ROOM"}'),
      type: 'ValidationException',
    });
    await expect(store.createRoom(room)).rejects.toMatchObject({ name: 'ValidationException' });
    await fired;
    expect((await store.listCustomerRooms('frank', { limit: 10 })).items).toEqual([]);
  });
});
