import { beforeEach, describe, expect, it } from 'vitest';
import type { Actor, Room } from '../../../lambdas/domain/types.js';
import { createDocumentClient, DynamoMeter } from '../../../lambdas/storage/client.js';
import { DynamoStore } from '../../../lambdas/storage/dynamo-store.js';
import { sampleRoom, useTable } from '../../support/table.js';

const alice: Actor = { userId: 'alice', role: 'customer' };
const sam: Actor = { userId: 'sam', role: 'staff' };

const meter = new DynamoMeter();
const table = useTable('store-test', { store: { openRoomShards: 3 }, meter });
beforeEach(() => meter.take());

async function roomWith(messages: number, content = (i: number) => `message ${i}`): Promise<Room> {
  const room = sampleRoom();
  await table.store.createRoom(room);
  for (let i = 1; i <= messages; i++) {
    await table.store.appendMessage({
      roomId: room.id,
      sender: alice,
      content: content(i),
      createdAt: new Date().toISOString(),
      clientMessageId: null,
      ownerId: 'alice',
    });
  }
  return room;
}

const send = (roomId: string, sender: Actor, clientMessageId: string | null = null, ownerId?: string) =>
  table.store.appendMessage({
    roomId,
    sender,
    content: 'hello',
    createdAt: new Date().toISOString(),
    clientMessageId,
    ownerId,
  });

describe('DynamoStore messages', () => {
  it('numbers messages 1, 2, 3 in each room', async () => {
    const room = await roomWith(3);
    const page = await table.store.listMessages(room.id, { limit: 10 });
    expect(page.items.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(page.items.map((m) => m.content)).toEqual(['message 1', 'message 2', 'message 3']);
    expect((await table.store.getRoom(room.id))?.lastMessageId).toBe(3);
  });

  it('costs one UpdateItem and one PutItem per send without a client_message_id', async () => {
    const room = await roomWith(0);
    meter.take();
    await send(room.id, alice);
    expect(meter.take().calls).toEqual({ UpdateItem: 1, PutItem: 1 });
  });

  it('costs three writes and no read for a first send with a client_message_id, one refused write and two reads for a resend', async () => {
    const room = await roomWith(0);
    meter.take();
    const first = await send(room.id, alice, 'c-1');
    // The claim, the room's sequence, the message: a send that succeeds writes its claim once.
    expect(meter.take().calls).toEqual({ PutItem: 2, UpdateItem: 1 });
    const again = await send(room.id, alice, 'c-1');
    // The refused claim reports the claim it found; the room item knows its id; then the stored message.
    expect(meter.take().calls).toEqual({ PutItem: 1, GetItem: 2 });
    expect(first.kind).toBe('created');
    expect(again).toEqual({
      kind: 'duplicate',
      message: first.kind === 'created' ? first.message : null,
      joinedStaff: false,
      room: null,
    });
    expect((await table.store.listMessages(room.id, { limit: 10 })).items).toHaveLength(1);
  });

  it('stores concurrent copies of one send once', async () => {
    const room = await roomWith(0);
    const results = await Promise.all(Array.from({ length: 5 }, () => send(room.id, alice, 'same')));
    const page = await table.store.listMessages(room.id, { limit: 10 });
    expect(page.items).toHaveLength(1);
    for (const result of results) {
      expect(result.kind === 'created' || result.kind === 'duplicate').toBe(true);
      if (result.kind === 'created' || result.kind === 'duplicate')
        expect(result.message).toEqual(page.items[0]);
    }
  });

  it('keeps client_message_ids apart per sender', async () => {
    const room = await roomWith(0);
    await send(room.id, alice, 'x');
    const staff = await send(room.id, sam, 'x');
    expect(staff.kind).toBe('created');
    expect((await table.store.listMessages(room.id, { limit: 10 })).items.map((m) => m.senderId)).toEqual([
      'alice',
      'sam',
    ]);
  });

  it('refuses a closed room and another customer’s room without taking a sequence number', async () => {
    const room = await roomWith(1);
    expect(await send(room.id, { userId: 'carol', role: 'customer' }, null, 'carol')).toEqual({
      kind: 'not_found',
    });
    expect(await send('00000000-0000-4000-8000-ffffffffffff', alice, null, 'alice')).toEqual({
      kind: 'not_found',
    });
    await table.store.closeRoom(room.id, 'alice', new Date().toISOString());
    expect(await send(room.id, alice, null, 'alice')).toEqual({ kind: 'closed' });
    expect((await table.store.getRoom(room.id))?.lastMessageId).toBe(1);
  });

  it('makes a staff sender a member and moves the sender’s read pointer', async () => {
    const room = await roomWith(2);
    const sam: Actor = { userId: 'sam-joins', role: 'staff' };
    const result = await send(room.id, sam);
    expect(result.kind === 'created' && result.joinedStaff).toBe(true);
    const stored = await table.store.getRoom(room.id);
    expect(stored?.staffIds).toEqual(['sam-joins']);
    expect(stored?.reads).toEqual(
      new Map([
        ['alice', 2],
        ['sam-joins', 3],
      ]),
    );
    const second = await send(room.id, sam);
    expect(second.kind === 'created' && second.joinedStaff).toBe(false);
    expect((await table.store.listStaffRooms('sam-joins', { limit: 10 })).items.map((r) => r.id)).toEqual([
      room.id,
    ]);
  });

  it('pages history backwards and forwards by id', async () => {
    const room = await roomWith(25);
    const latest = await table.store.listMessages(room.id, { limit: 10 });
    expect(latest.items.map((m) => m.id)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(latest.hasMore).toBe(true);
    const older = await table.store.listMessages(room.id, { limit: 10, before: 16 });
    expect(older.items.map((m) => m.id)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const oldest = await table.store.listMessages(room.id, { limit: 10, before: 6 });
    expect(oldest).toEqual({ items: expect.any(Array), hasMore: false });
    expect(oldest.items.map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);
    const forward = await table.store.listMessages(room.id, { limit: 10, after: 20 });
    expect(forward.items.map((m) => m.id)).toEqual([21, 22, 23, 24, 25]);
    expect(forward.hasMore).toBe(false);
    const fromStart = await table.store.listMessages(room.id, { limit: 3, after: 0 });
    expect(fromStart.items.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(fromStart.hasMore).toBe(true);
  });

  it('fills a page across DynamoDB’s 1 MB limit by following LastEvaluatedKey', async () => {
    // 300 messages of 4,000 characters are ~1.2 MB: more than one Query can return.
    const room = await roomWith(0);
    for (let batch = 0; batch < 15; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          table.store.appendMessage({
            roomId: room.id,
            sender: alice,
            content: `${batch}-${i} ${'x'.repeat(3990)}`,
            createdAt: new Date().toISOString(),
            clientMessageId: null,
          }),
        ),
      );
    }
    meter.take();
    const page = await table.store.listMessages(room.id, { limit: 300, after: 0 });
    expect(page.items.map((m) => m.id)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(meter.take().calls.Query).toBeGreaterThan(1);
  });
});

const isMessagePut = (operation: string, request: Record<string, unknown>) =>
  operation === 'PutItem' &&
  String((request.Item as Record<string, { S?: string }> | undefined)?.sk?.S).startsWith('MSG#');
const isSeqUpdate = (operation: string, request: Record<string, unknown>) =>
  operation === 'UpdateItem' && String(request.UpdateExpression).includes('seq = seq +');

async function historyIds(roomId: string): Promise<number[]> {
  return (await table.store.listMessages(roomId, { limit: 5000, after: 0 })).items.map((m) => m.id);
}

describe('DynamoStore gap-free ids', () => {
  it('numbers 500 messages from 20 concurrent senders 1..500 even when every other one is sent twice', async () => {
    const room = await roomWith(0);
    const senders = Array.from({ length: 20 }, (_, i): Actor => ({ userId: `staff-${i}`, role: 'staff' }));
    await Promise.all(
      senders.map(async (sender) => {
        for (let i = 0; i < 25; i++) {
          const copies = i % 2 === 0 ? 2 : 1;
          const results = await Promise.all(
            Array.from({ length: copies }, () => send(room.id, sender, `${sender.userId}-${i}`)),
          );
          for (const result of results) expect(['created', 'duplicate']).toContain(result.kind);
        }
      }),
    );
    const ids = await historyIds(room.id);
    expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect((await table.store.getRoom(room.id))?.lastMessageId).toBe(500);
    // A resend long after, with hundreds of messages in between, still finds its message.
    const late = await send(room.id, senders[0]!, 'staff-0-0');
    expect(late.kind).toBe('duplicate');
    expect(await historyIds(room.id)).toHaveLength(500);
  }, 120_000);

  it.each([
    ['without', null],
    ['with', 'after-1'],
  ])(
    'takes one id when the sequence update applies but its answer is lost (%s a client_message_id)',
    async (_, cmid) => {
      const room = await roomWith(1);
      const fired = table.dynamo.injectFault({ match: isSeqUpdate, after: true });
      const result = await send(room.id, alice, cmid, 'alice');
      await fired;
      expect(result.kind).toBe('created');
      expect(result.kind === 'created' && result.message.id).toBe(2);
      expect(await historyIds(room.id)).toEqual([1, 2]);
      expect((await table.store.getRoom(room.id))?.lastMessageId).toBe(2);
      expect((await send(room.id, alice, null, 'alice')).kind).toBe('created');
      expect(await historyIds(room.id)).toEqual([1, 2, 3]);
    },
  );

  it('holds its own claim when the claim put applies but its answer is lost, and stores the message at once', async () => {
    const room = await roomWith(0);
    const isClaimPut = (operation: string, request: Record<string, unknown>) =>
      operation === 'PutItem' && JSON.stringify(request).includes('CMID#');
    const fired = table.dynamo.injectFault({ match: isClaimPut, after: true });
    const result = await send(room.id, alice, 'own-claim', 'alice');
    await fired;
    expect(result.kind).toBe('created');
    expect(await historyIds(room.id)).toEqual([1]);
  });

  it('stores a message once when its put applies but the answer is lost', async () => {
    const room = await roomWith(0);
    const fired = table.dynamo.injectFault({ match: isMessagePut, after: true });
    const result = await send(room.id, alice, null, 'alice');
    await fired;
    expect(result.kind).toBe('created');
    expect(await historyIds(room.id)).toEqual([1]);
  });

  it('fills the hole when a message put applied but every answer was lost, and the resend finds it', async () => {
    const room = await roomWith(1);
    // Every one of the SDK's 4 attempts is answered 500; the first applied.
    const fired = table.dynamo.injectFault({ match: isMessagePut, after: true, times: 4 });
    await expect(send(room.id, alice, 'applied-lost', 'alice')).rejects.toThrow();
    await fired;
    const resent = await send(room.id, alice, 'applied-lost', 'alice');
    expect(resent.kind).toBe('duplicate');
    expect(await historyIds(room.id)).toEqual([1, 2]);
    const after = await table.store.getRoom(room.id);
    expect(after?.lastMessageId).toBe(2);
    expect(after?.lastMessage?.senderId).toBe('alice');
  });

  it('completes a message whose put failed with the same id when it is resent, and previews only stored messages', async () => {
    const room = await roomWith(1);
    const fired = table.dynamo.injectFault({ match: isMessagePut, type: 'ValidationException' });
    await expect(send(room.id, alice, 'lost-put', 'alice')).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await fired;
    // Another message arrives before the resend: the failed one keeps its id, history has no hole for long.
    const other = await send(room.id, sam, 'sam-1');
    expect(other.kind === 'created' && other.message.id).toBe(3);
    const resent = await send(room.id, alice, 'lost-put', 'alice');
    expect(resent.kind).toBe('completed');
    expect(resent.kind === 'completed' && resent.message.id).toBe(2);
    expect(await historyIds(room.id)).toEqual([1, 2, 3]);
    const stored = await table.store.getRoom(room.id);
    expect(stored?.lastMessageId).toBe(3);
    expect(stored?.lastMessage?.senderId).toBe('sam');
  });

  it('finds a resent message from its token once the room no longer remembers it, and records its id for the next resend', async () => {
    const room = await roomWith(0);
    const first = await send(room.id, alice, 'searched', 'alice');
    for (let i = 0; i < 6; i++) await send(room.id, sam, null);
    meter.take();
    const again = await send(room.id, alice, 'searched', 'alice');
    expect(again).toMatchObject({ kind: 'duplicate', message: { id: 1 } });
    expect(first.kind === 'created' && first.message.id).toBe(1);
    // The refused claim, the room item, one page of the messages since, the claim's id, the message.
    expect(meter.take().calls).toEqual({ PutItem: 1, GetItem: 2, Query: 1, UpdateItem: 1 });
    await send(room.id, alice, 'searched', 'alice');
    expect(meter.take().calls).toEqual({ PutItem: 1, GetItem: 1 });
    expect(await historyIds(room.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('completes a failed put under its id after more sends than the room remembers', async () => {
    const room = await roomWith(1);
    const fired = table.dynamo.injectFault({ match: isMessagePut, type: 'ValidationException' });
    await expect(send(room.id, alice, 'lost-then-busy', 'alice')).rejects.toBeDefined();
    await fired;
    for (let i = 0; i < 6; i++) await send(room.id, sam, null);
    expect(await send(room.id, alice, 'lost-then-busy', 'alice')).toMatchObject({
      kind: 'completed',
      message: { id: 2 },
    });
    expect(await historyIds(room.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const stored = await table.store.getRoom(room.id);
    expect([stored?.lastMessageId, stored?.holes ?? []]).toEqual([8, []]);
  });

  it('never previews a message that a failed put left unstored', async () => {
    const room = await roomWith(1);
    const fired = table.dynamo.injectFault({ match: isMessagePut, type: 'ValidationException' });
    await expect(send(room.id, alice, 'no-resend', 'alice')).rejects.toBeDefined();
    await fired;
    const stored = await table.store.getRoom(room.id);
    const ids = await historyIds(room.id);
    expect(stored?.lastMessage?.id ?? 0).toBe(ids.at(-1));
    expect(stored?.lastMessageId).toBe(ids.at(-1));
  });
});

describe('DynamoStore claims whose holder failed', () => {
  let clock = Date.now();
  const timed = () =>
    new DynamoStore(createDocumentClient(new DynamoMeter()), {
      tableName: 'store-test',
      openRoomShards: 3,
      now: () => clock,
    });
  const denied = (match: (operation: string, request: Record<string, unknown>) => boolean) =>
    table.dynamo.injectFault({ match, type: 'AccessDeniedException' });
  const roomRead = (roomId: string) => (operation: string, request: Record<string, unknown>) =>
    operation === 'GetItem' &&
    JSON.stringify(request.Key) === JSON.stringify({ pk: { S: `ROOM#${roomId}` }, sk: { S: 'ROOM' } });

  it('frees the claim when the sequence update fails without applying, so a resend is stored at once', async () => {
    const room = await roomWith(1);
    const failed = denied(isSeqUpdate);
    await expect(send(room.id, alice, 'unapplied', 'alice')).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    await failed;
    const resent = await send(room.id, alice, 'unapplied', 'alice');
    expect(resent.kind === 'created' && resent.message.id).toBe(2);
    expect(await historyIds(room.id)).toEqual([1, 2]);
  });

  it('answers in_progress while the holder may still run, and takes the claim over once its lease ran out', async () => {
    const store = timed();
    const room = await roomWith(1);
    const input = {
      roomId: room.id,
      sender: alice,
      content: 'hello',
      createdAt: new Date(clock).toISOString(),
      clientMessageId: 'holder-died',
      ownerId: 'alice',
    };
    // The holder's update fails and so does the read that would tell it nothing applied: it keeps the claim.
    const failed = Promise.all([denied(isSeqUpdate), denied(roomRead(room.id))]);
    await expect(store.appendMessage(input)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await failed;
    expect(await store.appendMessage(input)).toEqual({ kind: 'in_progress' });
    clock += 31_000;
    const resent = await store.appendMessage(input);
    expect(resent.kind === 'created' && resent.message.id).toBe(2);
    expect(await store.appendMessage(input)).toMatchObject({ kind: 'duplicate', message: { id: 2 } });
    expect(await historyIds(room.id)).toEqual([1, 2]);
  });
});

describe('DynamoStore rooms', () => {
  it('lists a customer’s rooms newest first, page by page', async () => {
    const customer = 'pager';
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const room = sampleRoom({ customerId: customer });
      ids.push(room.id);
      await table.store.createRoom(room);
    }
    const first = await table.store.listCustomerRooms(customer, { limit: 2 });
    const second = await table.store.listCustomerRooms(customer, {
      limit: 2,
      cursor: first.nextCursor ?? undefined,
    });
    const third = await table.store.listCustomerRooms(customer, {
      limit: 2,
      cursor: second.nextCursor ?? undefined,
    });
    expect([...first.items, ...second.items, ...third.items].map((r) => r.id)).toEqual(ids.reverse());
    expect(third.nextCursor).toBeNull();
  });

  it('refuses a cursor made for another customer’s partition', async () => {
    await table.store.createRoom(sampleRoom({ customerId: 'mallory' }));
    await table.store.createRoom(sampleRoom({ customerId: 'mallory' }));
    const page = await table.store.listCustomerRooms('mallory', { limit: 1 });
    await expect(
      table.store.listCustomerRooms('alice', { limit: 1, cursor: page.nextCursor ?? '' }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'invalid_cursor',
    });
  });

  it('moves read pointers forward only, and never past the newest message', async () => {
    const room = await roomWith(5);
    expect((await table.store.markRead(room.id, 'sam', 3)).kind).toBe('updated');
    expect((await table.store.markRead(room.id, 'sam', 2)).kind).toBe('unchanged');
    expect(await table.store.markRead(room.id, 'sam', 9)).toEqual({ kind: 'beyond', lastMessageId: 5 });
    expect(await table.store.markRead(room.id, 'carol', 1, 'carol')).toEqual({ kind: 'not_found' });
    expect((await table.store.getRoom(room.id))?.reads.get('sam')).toBe(3);
  });

  it.each(['__proto__', 'constructor'])('keeps the read pointer of a user called %s', async (userId) => {
    const room = sampleRoom({ customerId: userId });
    await table.store.createRoom(room);
    expect((await table.store.getRoom(room.id))?.reads).toEqual(new Map([[userId, 0]]));
    await send(room.id, sam);
    await send(room.id, sam);
    expect(await table.store.markRead(room.id, userId, 1, userId)).toMatchObject({ kind: 'updated' });
    expect((await table.store.getRoom(room.id))?.reads).toEqual(
      new Map([
        [userId, 1],
        ['sam', 2],
      ]),
    );
  });

  it('joins, leaves and closes with conditional writes that report what they found', async () => {
    const room = await roomWith(0);
    const at = new Date().toISOString();
    expect((await table.store.addStaff(room.id, 'sam', at)).kind).toBe('changed');
    expect((await table.store.addStaff(room.id, 'sam', at)).kind).toBe('unchanged');
    expect((await table.store.removeStaff(room.id, 'sam')).kind).toBe('changed');
    expect((await table.store.removeStaff(room.id, 'sam')).kind).toBe('unchanged');
    expect((await table.store.closeRoom(room.id, 'alice', at, 'carol')).kind).toBe('not_found');
    expect((await table.store.closeRoom(room.id, 'alice', at, 'alice')).kind).toBe('changed');
    expect((await table.store.closeRoom(room.id, 'alice', at)).kind).toBe('unchanged');
    expect(await table.store.addStaff(room.id, 'sam', at)).toEqual({ kind: 'closed' });
  });
});

describe('DynamoStore connections', () => {
  it('derives presence from live connection items, ignoring expired ones', async () => {
    const now = Math.floor(Date.now() / 1000);
    await table.store.putConnection(
      { connectionId: 'c1=', userId: 'sam', role: 'staff', connectedAt: Date.now(), rooms: [] },
      now + 60,
    );
    await table.store.putConnection(
      { connectionId: 'c2=', userId: 'sam', role: 'staff', connectedAt: Date.now(), rooms: [] },
      now + 60,
    );
    await table.store.putConnection(
      { connectionId: 'old', userId: 'tess', role: 'staff', connectedAt: Date.now(), rooms: [] },
      now - 1,
    );
    expect((await table.store.userConnections('sam', 'staff')).map((c) => c.connectionId).sort()).toEqual([
      'c1=',
      'c2=',
    ]);
    expect(await table.store.userConnections('tess', 'staff')).toEqual([]);
    expect((await table.store.onlineStaff()).map((u) => [u.userId, u.connections])).toEqual([['sam', 2]]);
    await table.store.deleteConnection('c1=');
    expect((await table.store.userConnections('sam', 'staff')).map((c) => c.connectionId)).toEqual(['c2=']);
  });

  it('deletes a connection with its subscriptions', async () => {
    const room = await roomWith(0);
    const now = Math.floor(Date.now() / 1000);
    await table.store.putConnection(
      { connectionId: 'k1', userId: 'alice', role: 'customer', connectedAt: Date.now(), rooms: [room.id] },
      now + 60,
    );
    const other = await roomWith(0);
    await table.store.addSubscription(
      { roomId: other.id, connectionId: 'k1', userId: 'alice', role: 'customer', connectedAt: Date.now() },
      now + 60,
    );
    expect((await table.store.listSubscriptions(room.id)).map((s) => s.connectionId)).toEqual(['k1']);
    expect(await table.store.getSubscription(other.id, 'k1')).not.toBeNull();
    const deleted = await table.store.deleteConnection('k1');
    expect([...(deleted?.rooms ?? [])].sort()).toEqual([room.id, other.id].sort());
    expect(await table.store.listSubscriptions(room.id)).toEqual([]);
    expect(await table.store.listSubscriptions(other.id)).toEqual([]);
    expect(await table.store.userConnections('alice', 'customer')).toEqual([]);
    expect(await table.store.deleteConnection('k1')).toBeNull();
  });

  it('deletes a connection’s dependents first and the connection item last, so a failed cleanup can finish', async () => {
    const room = await roomWith(0);
    const now = Math.floor(Date.now() / 1000);
    const connection = {
      connectionId: 'half-1',
      userId: 'tess',
      role: 'staff' as const,
      connectedAt: Date.now(),
      rooms: [room.id],
    };
    await table.store.putConnection(connection, now + 60);
    await table.store.addQueueFollower({ ...connection, roomId: '' }, now + 60);
    // The batch that deletes presence, subscription and queue item is refused (not retried by the SDK).
    const failed = table.dynamo.injectFault({
      match: (operation) => operation === 'BatchWriteItem',
      type: 'AccessDeniedException',
    });
    await expect(table.store.deleteConnection('half-1')).rejects.toThrow('Injected fault');
    await failed;
    // Nothing was lost: the connection item still lists what to delete, and the next attempt deletes it all.
    expect(await table.store.userConnections('tess', 'staff')).toHaveLength(1);
    meter.take();
    expect(await table.store.deleteConnection('half-1')).toEqual({ ...connection, followsQueue: true });
    expect(meter.take().calls).toEqual({ GetItem: 1, BatchWriteItem: 1, DeleteItem: 1 });
    expect(await table.store.userConnections('tess', 'staff')).toEqual([]);
    expect(await table.store.listSubscriptions(room.id)).toEqual([]);
    expect((await table.store.queueFollowers()).map((follower) => follower.connectionId)).not.toContain(
      'half-1',
    );
    expect(await table.store.deleteConnection('half-1')).toBeNull();
  });

  it('gives a subscription only to a connection that exists', async () => {
    const room = await roomWith(0);
    await expect(
      table.store.addSubscription(
        {
          roomId: room.id,
          connectionId: 'ghost',
          userId: 'alice',
          role: 'customer',
          connectedAt: Date.now(),
        },
        Math.floor(Date.now() / 1000) + 60,
      ),
    ).rejects.toThrow();
    expect(await table.store.listSubscriptions(room.id)).toEqual([]);
  });

  it('hands out a ticket once, and not after it expires', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ticket = { userId: 'alice', role: 'customer', tokenExpiresAt: now + 3600 } as const;
    await table.store.putTicket('h1', ticket, now + 60);
    await table.store.putTicket('h2', ticket, now - 1);
    expect(await table.store.takeTicket('h1')).toEqual(ticket);
    expect(await table.store.takeTicket('h1')).toBeNull();
    expect(await table.store.takeTicket('h2')).toBeNull();
  });
});
