import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../../lambdas/storage/keys.js';
import { sampleRoom, useTable } from '../../support/table.js';

const TABLE = 'customer-rooms-test';
const table = useTable(TABLE, { store: { openRoomShards: 1 } });
/** Each test's rooms are of a customer of its own, so their listings hold only those rooms. */
const newRoom = (customerId: string) => sampleRoom({ customerId });

const raw = async (key: { pk: string; sk: string }) =>
  (await table.db().send(new GetCommand({ TableName: TABLE, Key: key }))).Item ?? {};

describe('A customer’s rooms', () => {
  it('are listed by an entry of their own, so the room item is in no index that projects it', async () => {
    const room = newRoom('carol');
    await table.store.createRoom(room);
    const item = await raw(keys.room(room.id));
    expect(item.gsi1pk).toBeUndefined();
    expect(item.gsi1sk).toBeUndefined();
    expect(await raw(keys.customerRoom(room.id))).toMatchObject({
      type: 'customer_room',
      room_id: room.id,
      status: 'open',
      gsi1pk: keys.customerRooms('carol'),
    });
    const page = await table.store.listCustomerRooms('carol', { limit: 10 });
    expect(page.items.map((r) => r.id)).toEqual([room.id]);
  });

  it('list open and closed rooms newest first, and only the open ones among the rooms a socket follows', async () => {
    const rooms = [newRoom('dave'), newRoom('dave'), newRoom('dave')];
    for (const room of rooms) await table.store.createRoom(room);
    await table.store.closeRoom(rooms[1]!.id, 'sam', new Date().toISOString());
    expect(await raw(keys.customerRoom(rooms[1]!.id))).toMatchObject({ status: 'closed' });
    const first = await table.store.listCustomerRooms('dave', { limit: 2 });
    const second = await table.store.listCustomerRooms('dave', {
      limit: 2,
      cursor: first.nextCursor ?? undefined,
    });
    expect([...first.items, ...second.items].map((r) => [r.id, r.status])).toEqual([
      [rooms[2]!.id, 'open'],
      [rooms[1]!.id, 'closed'],
      [rooms[0]!.id, 'open'],
    ]);
    expect((await table.store.openRoomIdsOf({ userId: 'dave', role: 'customer' })).sort()).toEqual(
      [rooms[0]!.id, rooms[2]!.id].sort(),
    );
  });

  it('still include a room written before the entries existed (the room item keyed in gsi1 itself)', async () => {
    const room = newRoom('erin');
    await table.store.createRoom(room);
    const older = newRoom('erin');
    await table.db().send(
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
    const page = await table.store.listCustomerRooms('erin', { limit: 10 });
    expect(page.items.map((r) => r.id)).toEqual([room.id, older.id]);
    expect((await table.store.openRoomIdsOf({ userId: 'erin', role: 'customer' })).sort()).toEqual(
      [room.id, older.id].sort(),
    );
  });

  it('leave out an entry whose room was never written (its put failed after the entry’s)', async () => {
    const room = newRoom('frank');
    const fired = table.dynamo.injectFault({
      match: (operation, request) =>
        operation === 'PutItem' && JSON.stringify(request.Item).includes('"sk":{"S":"ROOM"}'),
      type: 'ValidationException',
    });
    await expect(table.store.createRoom(room)).rejects.toMatchObject({ name: 'ValidationException' });
    await fired;
    expect((await table.store.listCustomerRooms('frank', { limit: 10 })).items).toEqual([]);
  });
});
