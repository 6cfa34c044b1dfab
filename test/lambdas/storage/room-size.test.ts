import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { entrySize, indexEntry, itemSize, keyedIndex } from '../../../bench/index-units.js';
import { customerNameOnRoom, NAME_MAX_CHARS, ROOM_NAME_MAX_BYTES } from '../../../lambdas/domain/profiles.js';
import type { Actor, Room } from '../../../lambdas/domain/types.js';
import { AssignmentStore } from '../../../lambdas/storage/assignment-store.js';
import { ClosedRooms } from '../../../lambdas/storage/closed-rooms.js';
import { preview } from '../../../lambdas/storage/items.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { OpenRooms } from '../../../lambdas/storage/open-rooms.js';
import { RoomStore } from '../../../lambdas/storage/room-store.js';
import { Table } from '../../../lambdas/storage/table.js';
import { sampleRoom, useTable } from '../../support/table.js';

const TABLE = 'room-size-test';
// Ids as long as real ones: a namespaced guest id and an issuer's UUID subject.
const customer: Actor = { userId: 'guest:6f1c2a9e-8b3d-4c7a-9e21-5d4b3a2f1e0c', role: 'customer' };
const staff: Actor = { userId: '3b9d7c41-2e6f-4a58-b1c0-9f8e7d6c5b4a', role: 'staff' };

const table = useTable(TABLE, { store: { openRoomShards: 8 } });

/** The room item's size in bytes, after the busiest life the test gives it. */
async function busiestRoomSize(id: string, customerName: string | null): Promise<number> {
  const at = new Date().toISOString();
  const room = sampleRoom({
    id,
    subject: 'Where is my parcel? It was due on Monday',
    customerId: customer.userId,
    customerName,
    createdAt: at,
    lastActivityAt: at,
  });
  await fillRoom(room);
  return itemSize(await roomItemOf(room.id));
}

const roomItemOf = async (roomId: string) =>
  (
    await new DynamoDBClient({ endpoint: table.endpoint }).send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: keys.room(roomId).pk }, sk: { S: 'ROOM' } } }),
    )
  ).Item ?? {};

describe('The room item', () => {
  it('stays under 1 KB with the longest customer name, as the room keeps it (48 bytes)', async () => {
    const plain = await busiestRoomSize('5a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2e', null);
    const longest = customerNameOnRoom('W'.repeat(NAME_MAX_CHARS));
    expect(Buffer.byteLength(longest ?? '', 'utf8')).toBe(ROOM_NAME_MAX_BYTES);
    const named = await busiestRoomSize('5a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2f', longest);
    // `customer_name` (13 bytes) and its value: 883 bytes without it, 944 with it. Before: 961 and 1,022, with
    // the room's id repeated as `id` (38 bytes) and a preview of up to 200 bytes (40 more); 947 and 1,008
    // before the staff message count `sc` and the staff reader's count at their pointer `R#…` (14 bytes).
    expect(named - plain).toBe('customer_name'.length + ROOM_NAME_MAX_BYTES);
    expect(plain).toBe(883);
    expect(named).toBe(944);
  });

  it('closed by staff, moves its index entry to the closed rooms for 13 bytes more than the open one', async () => {
    const at = new Date().toISOString();
    const room = sampleRoom({
      id: '5a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c30',
      subject: 'Where is my parcel? It was due on Monday',
      customerId: customer.userId,
      customerName: customerNameOnRoom('W'.repeat(NAME_MAX_CHARS)),
      createdAt: at,
      lastActivityAt: at,
    });
    await fillRoom(room);
    const open = await roomItemOf(room.id);
    await table.store.closeRoom(room.id, staff.userId, new Date().toISOString());
    const closed = await roomItemOf(room.id);
    const keysSize = (item: typeof open) =>
      itemSize({ gsi3pk: item.gsi3pk ?? { S: '' }, gsi3sk: item.gsi3sk ?? { S: '' } });
    // `CLOSED#n` and a full time against `OPEN#n` and an hour.
    expect(keysSize(closed) - keysSize(open)).toBe(2 + 11);
    // 944 bytes open; closed_at and closed_by (33 and 45 bytes) and `closed` for `open` (2), which any close
    // sets, make 1,024, and the move 1,037 (1,115 with `id` and 200-byte previews). Past 1 KB, but a closed
    // room is written again only by read receipts (sends, typing, joins and renames refuse it): two write units
    // for those few, as already before the move.
    const closing = 'closed_at'.length + 24 + 'closed_by'.length + staff.userId.length + 2;
    expect(itemSize(closed) - itemSize(open)).toBe(closing + 2 + 11);
    expect(itemSize(open)).toBe(944);
    expect(itemSize(closed)).toBe(1037);
  });

  it.each([
    ['an ASCII name that fits as it is', 'Ada Lovelace', 'Ada Lovelace'],
    ['80 ASCII characters cut to 45 and an ellipsis', 'a'.repeat(80), `${'a'.repeat(45)}…`],
    ['80 accented characters cut by bytes', 'é'.repeat(80), `${'é'.repeat(22)}…`],
    ['emoji cut whole, never split', '😀'.repeat(20), `${'😀'.repeat(11)}…`],
    ['no name as none', null, null],
  ])('keeps %s', (_, name, expected) => {
    expect(customerNameOnRoom(name)).toBe(expected);
  });

  it('stays under 1 KB with a 160-byte preview, two members, their read pointers and the send tokens', async () => {
    const at = new Date().toISOString();
    const room = sampleRoom({
      id: '5a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d',
      subject: 'Where is my parcel? It was due on Monday',
      customerId: customer.userId,
      createdAt: at,
      lastActivityAt: at,
    });
    await fillRoom(room);
    const Item = await roomItemOf(room.id);
    // Accented text: the preview is cut by bytes before characters.
    expect(Buffer.byteLength(Item?.last_message?.M?.preview?.S ?? '', 'utf8')).toBe(159);
    // The key names the room: no `id` beside it.
    expect(Item?.id).toBeUndefined();
    expect(Item?.claim_0?.S).not.toBe('-');
    expect(Object.keys(Item?.reads?.M ?? {})).toHaveLength(2);
    // Three staff messages counted, and the staff reader's count at their pointer: the customer has none.
    expect(Item?.[keys.staffCount]?.N).toBe('3');
    expect(Item?.[keys.staffCountAtRead(staff.userId)]?.N).toBe('3');
    expect(Item?.[keys.staffCountAtRead(customer.userId)]).toBeUndefined();
    const size = itemSize(Item ?? {});
    expect(size).toBeLessThan(1024);
    // Its open-rooms entry is far below 1 KB: one write unit to put, one to delete.
    const entry = indexEntry(Item, keyedIndex('gsi3', 'gsi3pk', 'gsi3sk', 'KEYS_ONLY'));
    expect(entry && entrySize(entry)).toBeLessThan(300);
  });
});

/** Joins staff, then more sends than the room remembers tokens of, from both, each with a client_message_id. */
async function fillRoom(room: Room): Promise<void> {
  await table.store.createRoom(room);
  await table.store.addStaff(room.id, staff.userId, room.createdAt);
  for (let i = 0; i < 6; i++) {
    const sender = i % 2 ? staff : customer;
    const sent = await table.store.appendMessage({
      roomId: room.id,
      sender,
      content: `${i} ${'é'.repeat(198)}`,
      createdAt: new Date().toISOString(),
      clientMessageId: `c${i}-8d7e6f5a-4b3c-2d1e-0f9a-8b7c6d5e4f3a`,
      ownerId: sender === customer ? customer.userId : undefined,
    });
    // Each side reads the other's message as the domain asks: the customer with their ownership checked, staff
    // with their count of staff messages at the pointer.
    const reader = sender === customer ? staff : customer;
    if (sent.kind === 'created')
      await table.store.markRead(
        room.id,
        reader.userId,
        sent.message.id,
        reader === customer ? customer.userId : undefined,
      );
  }
}

describe('The room item of an assigned room', () => {
  it('adds asg (the assignee) and asgat (epoch ms): 52 bytes, 996 in the worst case, in one write unit', async () => {
    const longest = customerNameOnRoom('W'.repeat(NAME_MAX_CHARS));
    // A room of its own (the closed-room test above has …1c30).
    const id = '5a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c31';
    const unassigned = await busiestRoomSize(id, longest);
    const db = new Table(table.db(), TABLE, Date.now);
    const assignments = new AssignmentStore(
      db,
      new RoomStore(db, new OpenRooms(db, 8, false), new ClosedRooms(db, 8)),
    );
    const result = await assignments.assignRoom(id, staff.userId, null, new Date().toISOString());
    expect(result.kind).toBe('changed');
    const assigned = itemSize(await roomItemOf(id));
    // `asg` and the 36-byte id; `asgat` and a 13-digit number (8 bytes). An ISO time would take 24.
    expect(assigned - unassigned).toBe('asg'.length + staff.userId.length + 'asgat'.length + 8);
    // Every worst case at once (the longest name, a 160-byte preview, UUID ids, one staff member joined). Where
    // the 996 bytes go, names and values: last_message 280 (the preview 166, sender_id 45, created_at 34,
    // sender_role 16), the four send tokens 92, reads 96 (two pointers), customer_name 61, gsi3pk and gsi3sk
    // 68, customer_id 53, asg and asgat 52, pk and sk 49, subject 47 (this one's 40 characters), staff_ids 45,
    // last_activity_at 40, created_at 34, seq and last_message_id 22, room_type 16, sc and R#… 14, status 10,
    // version 9, type 8. 28 bytes short of 1 KB: below a million messages the counters' digits take at most 15
    // of them (2 more each for seq, last_message_id, the pointers and the counts, 3 for version). Each more
    // staff member joined adds 87 (staff_ids, a pointer and its count): a second one takes it past 1 KB.
    // 1,074 bytes before, with `id` (38) and 200-byte previews (40).
    expect(assigned).toBe(996);
  });
});

describe('The preview', () => {
  it.each([
    ['short text as it is', 'Hello', 'Hello'],
    ['140 ASCII characters as they are', 'a'.repeat(140), 'a'.repeat(140)],
    ['141 ASCII characters cut to 139 and an ellipsis', 'a'.repeat(141), `${'a'.repeat(139)}…`],
    ['80 accented characters (160 bytes) as they are', 'é'.repeat(80), 'é'.repeat(80)],
    ['accented text cut at 160 bytes', 'é'.repeat(140), `${'é'.repeat(78)}…`],
    ['CJK text cut at 160 bytes', '漢'.repeat(140), `${'漢'.repeat(52)}…`],
    ['emoji cut whole, never split', '😀'.repeat(60), `${'😀'.repeat(39)}…`],
  ])('keeps %s', (_, content, expected) => {
    expect(preview(content)).toBe(expected);
    expect(Buffer.byteLength(preview(content), 'utf8')).toBeLessThanOrEqual(160);
  });
});
