import { describe, expect, it } from 'vitest';
import type { Actor, Room } from '../../../lambdas/domain/types.js';
import { sampleRoom, useTable } from '../../support/table.js';

const alice: Actor = { userId: 'alice', role: 'customer' };
const sam: Actor = { userId: 'sam', role: 'staff' };

const table = useTable('version-test', { store: { openRoomShards: 2 } });

async function newRoom(): Promise<Room> {
  const room = sampleRoom();
  await table.store.createRoom(room);
  return room;
}

const send = (roomId: string, sender: Actor, clientMessageId: string | null = null) =>
  table.store.appendMessage({
    roomId,
    sender,
    content: 'hello',
    createdAt: new Date().toISOString(),
    clientMessageId,
    ownerId: sender.role === 'customer' ? sender.userId : undefined,
  });

async function version(roomId: string): Promise<number> {
  return (await table.store.getRoom(roomId))?.version ?? Number.NaN;
}

/** How much `write` moved the room's version. */
async function bumpOf(roomId: string, write: () => Promise<unknown>): Promise<number> {
  const before = await version(roomId);
  await write();
  return (await version(roomId)) - before;
}

const isMessagePut = (operation: string, request: Record<string, unknown>) =>
  operation === 'PutItem' && JSON.stringify(request.Item).includes('"MSG#');
const isSeqUpdate = (operation: string, request: Record<string, unknown>) =>
  operation === 'UpdateItem' && String(request.UpdateExpression).includes('seq = seq + :one');

describe('Room version', () => {
  it('starts at 1 when the room is created', async () => {
    const room = await newRoom();
    expect(await version(room.id)).toBe(1);
  });

  it.each([
    ['a customer’s send', (room: Room) => send(room.id, alice)],
    ['a send with a client_message_id', (room: Room) => send(room.id, alice, 'cmid-1')],
    ['a staff member’s first reply (which joins them)', (room: Room) => send(room.id, sam)],
    ['a join', (room: Room) => table.store.addStaff(room.id, 'sam', new Date().toISOString())],
    ['a close', (room: Room) => table.store.closeRoom(room.id, 'sam', new Date().toISOString())],
  ])('goes up by exactly one for %s', async (_, write) => {
    const room = await newRoom();
    expect(await bumpOf(room.id, () => write(room))).toBe(1);
  });

  it('goes up by one for a read that moves a pointer and not for one that does not', async () => {
    const room = await newRoom();
    await send(room.id, alice);
    await send(room.id, alice);
    expect(await bumpOf(room.id, () => table.store.markRead(room.id, 'sam', 2))).toBe(1);
    expect(await bumpOf(room.id, () => table.store.markRead(room.id, 'sam', 1))).toBe(0);
    expect(await bumpOf(room.id, () => table.store.markRead(room.id, 'sam', 9))).toBe(0);
  });

  it('goes up by one for a leave, and not for a repeated join or leave', async () => {
    const room = await newRoom();
    await table.store.addStaff(room.id, 'sam', new Date().toISOString());
    expect(await bumpOf(room.id, () => table.store.addStaff(room.id, 'sam', new Date().toISOString()))).toBe(
      0,
    );
    expect(await bumpOf(room.id, () => table.store.removeStaff(room.id, 'sam'))).toBe(1);
    expect(await bumpOf(room.id, () => table.store.removeStaff(room.id, 'sam'))).toBe(0);
  });

  it('does not move for a resend of a stored message or a send to a closed room', async () => {
    const room = await newRoom();
    await send(room.id, alice, 'once');
    expect(await bumpOf(room.id, () => send(room.id, alice, 'once'))).toBe(0);
    await table.store.closeRoom(room.id, 'sam', new Date().toISOString());
    expect(await bumpOf(room.id, () => send(room.id, alice, 'late'))).toBe(0);
  });

  it('goes up once when the SDK retries a sequence update whose answer was lost', async () => {
    const room = await newRoom();
    const fired = table.dynamo.injectFault({ match: isSeqUpdate, after: true });
    expect(await bumpOf(room.id, () => send(room.id, alice, 'retried'))).toBe(1);
    await fired;
    expect((await table.store.getRoom(room.id))?.lastMessageId).toBe(1);
  });

  it('counts the hole a failed put leaves and the resend that fills it, one each', async () => {
    const room = await newRoom();
    await send(room.id, alice);
    const fired = table.dynamo.injectFault({ match: isMessagePut, type: 'ValidationException' });
    // The sequence update, then the hole with the preview put back.
    expect(await bumpOf(room.id, () => send(room.id, alice, 'holed').catch((error: unknown) => error))).toBe(
      2,
    );
    await fired;
    // The resend stores the message under its id and fills the hole.
    expect(await bumpOf(room.id, () => send(room.id, alice, 'holed'))).toBe(1);
    expect((await table.store.getRoom(room.id))?.holes).toBeUndefined();
  });
});
