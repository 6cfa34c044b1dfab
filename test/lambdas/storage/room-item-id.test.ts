import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Actor, Room } from '../../../lambdas/domain/types.js';
import { customerRoomItem, roomIdOfListing, roomItem, toRoom } from '../../../lambdas/storage/items.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { OpenRooms } from '../../../lambdas/storage/open-rooms.js';
import { Table } from '../../../lambdas/storage/table.js';
import { sampleRoom, useTable } from '../../support/table.js';

// The room item names its room by its key alone: `id` repeated `pk` (38 bytes of a UUID room's item, which
// every message rewrites). Items outlive code, so a room item written before still carries `id`, and every
// read takes either spelling.

const TABLE = 'room-item-id-test';
const SHARDS = 2;
const table = useTable(TABLE, { store: { openRoomShards: SHARDS } });
const customer: Actor = { userId: 'cora', role: 'customer' };
const staff: Actor = { userId: 'sam', role: 'staff' };
const replier: Actor = { userId: 'tess', role: 'staff' };

const stored = async (roomId: string) =>
  (await table.db().send(new GetCommand({ TableName: TABLE, Key: keys.room(roomId) }))).Item ?? {};

/** A room as the code before this change wrote it: today's item, and its id beside the key. */
async function putOlderRoom(room: Room): Promise<void> {
  const openRooms = new OpenRooms(new Table(table.db(), TABLE, Date.now), SHARDS);
  await table.db().send(new PutCommand({ TableName: TABLE, Item: customerRoomItem(room) }));
  await table.db().send(
    new PutCommand({
      TableName: TABLE,
      Item: { ...roomItem(room, openRooms.attributes(room.id, room.lastActivityAt)), id: room.id },
    }),
  );
}

describe('The room item', () => {
  it('keeps no id of its own: its key names the room', async () => {
    const room = sampleRoom({ customerId: customer.userId });
    await table.store.createRoom(room);
    const item = await stored(room.id);
    expect(item.pk).toBe(`ROOM#${room.id}`);
    expect(item).not.toHaveProperty('id');
    expect(toRoom(item).id).toBe(room.id);
    expect((await table.store.getRoom(room.id))?.id).toBe(room.id);
  });

  it('reads the same with the id older code wrote beside the key', () => {
    const room = sampleRoom({ customerId: customer.userId });
    const item = roomItem(room, {});
    expect(toRoom({ ...item, id: room.id })).toEqual(toRoom(item));
    expect(toRoom(item).id).toBe(room.id);
  });

  it.each([
    ['a customer_room entry', (room: Room) => customerRoomItem(room)],
    [
      'a room item listed before the entries, with its id',
      (room: Room) => ({ ...roomItem(room, {}), id: room.id }),
    ],
    ['a room item without one', (room: Room) => roomItem(room, {})],
  ])('is the room a customer list of %s stands for', (_, listing) => {
    const room = sampleRoom({ customerId: customer.userId });
    expect(roomIdOfListing(listing(room))).toBe(room.id);
  });

  it.each([
    ['as this code writes it', false],
    ['as older code wrote it, with its id', true],
  ])('is found by every list and change %s', async (_, older) => {
    const room = sampleRoom({ customerId: customer.userId });
    if (older) await putOlderRoom(room);
    else await table.store.createRoom(room);
    expect('id' in (await stored(room.id))).toBe(older);
    expect((await table.store.getRoom(room.id))?.id).toBe(room.id);
    expect((await table.store.addStaff(room.id, staff.userId, room.createdAt)).kind).toBe('changed');
    const sent = await table.store.appendMessage({
      roomId: room.id,
      // Not a member yet: the send joins them and reads the room back.
      sender: replier,
      content: 'Hello',
      createdAt: new Date().toISOString(),
      clientMessageId: null,
    });
    expect(sent.kind === 'created' && sent.room?.id).toBe(room.id);
    const page = { limit: 100 };
    const ids = (rooms: { items: readonly Room[] }) => rooms.items.map((listed) => listed.id);
    expect(ids(await table.store.listCustomerRooms(customer.userId, page))).toContain(room.id);
    expect(ids(await table.store.listStaffRooms(staff.userId, page))).toContain(room.id);
    expect(ids(await table.store.listOpenRooms(page))).toContain(room.id);
    const closed = await table.store.closeRoom(room.id, staff.userId, new Date().toISOString());
    expect(closed.kind === 'changed' && closed.room.id).toBe(room.id);
    expect(ids(await table.store.listClosedRooms(page))).toContain(room.id);
  });
});
