import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { type Actor, type Room, unreadCount } from '../../../lambdas/domain/types.js';
import { DynamoMeter } from '../../../lambdas/storage/client.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { sampleRoom, useTable } from '../../support/table.js';

const meter = new DynamoMeter();
const table = useTable('unread-counts-test', { store: { openRoomShards: 2 }, meter });
beforeEach(() => meter.take());

const customer: Actor = { userId: 'alice', role: 'customer' };
const sam: Actor = { userId: 'sam', role: 'staff' };
const kim: Actor = { userId: 'kim', role: 'staff' };
/** A colleague who follows the queue and never joined or read. */
const lee: Actor = { userId: 'lee', role: 'staff' };

async function newRoom(): Promise<Room> {
  const room = sampleRoom({ customerId: customer.userId });
  await table.store.createRoom(room);
  return room;
}

/** One message, as the domain sends it: a customer's with their ownership checked. */
async function send(roomId: string, sender: Actor, content = 'hello'): Promise<number> {
  const sent = await table.store.appendMessage({
    roomId,
    sender,
    content,
    createdAt: new Date().toISOString(),
    clientMessageId: null,
    ownerId: sender.role === 'customer' ? sender.userId : undefined,
  });
  if (sent.kind !== 'created') throw new Error(`not sent: ${sent.kind}`);
  return sent.message.id;
}

/** A read, as the domain asks for it: the customer names themselves as the owner, staff do not. */
const read = (roomId: string, reader: Actor, messageId: number) =>
  table.store.markRead(
    roomId,
    reader.userId,
    messageId,
    reader.role === 'customer' ? reader.userId : undefined,
  );

async function unread(roomId: string): Promise<Record<string, number>> {
  const room = await table.store.getRoom(roomId);
  if (!room) throw new Error('no room');
  return Object.fromEntries(
    [customer, sam, kim, lee].map((who) => [who.userId, unreadCount(room, who.userId)]),
  );
}

describe('Unread counts', () => {
  it('count customer messages for staff and staff messages for the customer, whoever from staff wrote', async () => {
    const { id } = await newRoom();
    await table.store.addStaff(id, sam.userId, new Date().toISOString());
    await send(id, customer, 'my parcel is late');
    await send(id, customer, 'order 1234');
    expect(await unread(id)).toEqual({ alice: 0, sam: 2, kim: 2, lee: 2 });
    // Sam answers (reading everything); Kim, helping, adds a line: neither is news to the other staff.
    await send(id, sam, 'let me check');
    await send(id, kim, 'it left the depot today');
    expect(await unread(id)).toEqual({ alice: 2, sam: 0, kim: 0, lee: 2 });
    await send(id, customer, 'thanks');
    // The room's sequence minus a pointer would say 2 for Sam (Kim's reply and this one) and 5 for Lee.
    expect(await unread(id)).toEqual({ alice: 0, sam: 1, kim: 1, lee: 3 });
  });

  it('move with a staff read up to the newest message: one write, no read', async () => {
    const { id } = await newRoom();
    await send(id, sam, 'hello, how can I help?');
    const newest = await send(id, customer, 'hi');
    meter.take();
    const result = await read(id, kim, newest);
    expect(result.kind).toBe('updated');
    expect(meter.take()).toEqual({ calls: { UpdateItem: 1 }, readUnits: 0, writeUnits: 1 });
    expect(await unread(id)).toMatchObject({ kim: 0, sam: 1 });
  });

  it('move with a staff read up to an older message: the count at it is read from that message', async () => {
    const { id } = await newRoom();
    const first = await send(id, customer, 'one');
    await send(id, sam, 'two');
    await send(id, customer, 'three');
    await send(id, sam, 'four');
    meter.take();
    // Kim has seen only the first message on screen when the read arrives.
    expect((await read(id, kim, first)).kind).toBe('updated');
    // The write that assumed the newest is refused, then one strongly consistent read of one message.
    expect(meter.take()).toEqual({ calls: { UpdateItem: 2, Query: 1 }, readUnits: 1, writeUnits: 1 });
    // After message 1: "three" (a customer's) is unread; "two" and "four" are Sam's.
    expect(await unread(id)).toMatchObject({ kim: 1 });
    await send(id, customer, 'five');
    expect(await unread(id)).toMatchObject({ kim: 2 });
  });

  it('move with a customer read with no count at all (customers need none)', async () => {
    const { id } = await newRoom();
    await send(id, sam, 'hello');
    const newest = await send(id, kim, 'and hello from me');
    meter.take();
    expect((await read(id, customer, newest - 1)).kind).toBe('updated');
    expect(meter.take()).toEqual({ calls: { UpdateItem: 1 }, readUnits: 0, writeUnits: 1 });
    expect(await unread(id)).toMatchObject({ alice: 1 });
    const item = await table.db().send(
      new UpdateCommand({
        TableName: table.name,
        Key: keys.room(id),
        UpdateExpression: 'SET version = version',
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(item.Attributes?.[keys.staffCountAtRead(customer.userId)]).toBeUndefined();
  });

  it.each([
    ['a customer', customer],
    ['staff', sam],
  ])('cost %s nothing more per message: one room update and one message put, no read', async (_, sender) => {
    const { id } = await newRoom();
    await send(id, sam, 'first');
    meter.take();
    await send(id, sender, 'the message');
    expect(meter.take()).toEqual({ calls: { UpdateItem: 1, PutItem: 1 }, readUnits: 0, writeUnits: 2 });
  });

  it('count for staff every customer message around a staff send whose put failed (a hole), and after its resend', async () => {
    const { id } = await newRoom();
    await send(id, customer, 'one');
    const sent = (clientMessageId: string | null) =>
      table.store.appendMessage({
        roomId: id,
        sender: sam,
        content: 'two',
        createdAt: new Date().toISOString(),
        clientMessageId,
      });
    const fired = table.dynamo.injectFault({
      match: (operation, request) =>
        operation === 'PutItem' && JSON.stringify(request.Item).includes('"MSG#'),
      type: 'ValidationException',
    });
    await expect(sent('sam-2')).rejects.toThrow();
    await fired;
    await send(id, customer, 'three');
    // Two customer messages for staff who read nothing; one for Sam, whose failed send moved his pointer.
    expect(await unread(id)).toMatchObject({ sam: 1, kim: 2, lee: 2 });
    // The resend stores Sam's message under its id: still a staff message, no news to staff.
    expect((await sent('sam-2')).kind).toBe('completed');
    expect(await unread(id)).toMatchObject({ sam: 1, kim: 2, lee: 2 });
  });

  it('read as before for a room written before the count, then count every message since', async () => {
    const { id } = await newRoom();
    await send(id, customer, 'one');
    await send(id, sam, 'two');
    await read(id, kim, 1);
    // As the code before the count left it: no `sc`, no staff reader's count.
    await table.db().send(
      new UpdateCommand({
        TableName: table.name,
        Key: keys.room(id),
        UpdateExpression: 'REMOVE #sc, #sam, #kim',
        ExpressionAttributeNames: {
          '#sc': keys.staffCount,
          '#sam': keys.staffCountAtRead(sam.userId),
          '#kim': keys.staffCountAtRead(kim.userId),
        },
      }),
    );
    // Kim's pointer is at 1: Sam's "two" counts, as it always did.
    expect(await unread(id)).toMatchObject({ kim: 1, sam: 0, alice: 1 });
    await send(id, sam, 'three');
    await send(id, customer, 'four');
    // Since the count: Sam's "three" is not news to Kim, the customer's "four" is.
    expect(await unread(id)).toMatchObject({ kim: 2, sam: 1, alice: 0 });
  });
});
