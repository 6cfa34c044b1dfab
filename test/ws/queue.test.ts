import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/storage/keys.js';
import { eventually, type Frame, settle, type TestSocket } from '../support/socket.js';
import { useCast, useLocalStack } from '../support/stack.js';

// The staff queue, fed by the table's stream. Batches are cut only when a test flushes the stream, so frames
// per batch are counted exactly; one shard, so one flush is one batch (test/ws/queue-shards.test.ts: more).
const stack = useLocalStack({
  environment: { GONE_GRACE_SECONDS: '1' },
  stream: { batchWindowMs: 'manual', shards: 1 },
});
const { as, open, openRoom } = useCast(stack);

/** A staff socket that follows the queue, confirmed. */
async function queueFollower(who: 'sam' | 'tess'): Promise<TestSocket> {
  const socket = await open(who);
  socket.send({ type: 'subscribe', queue: true });
  await socket.next('room', (d) => d.queue && d.event === 'subscribed');
  return socket;
}

const queueFrames = (socket: TestSocket) => socket.all('queue');
/** Frames a socket got because it follows the queue under the old design: none now. */
const perMessageFrames = (socket: TestSocket) =>
  socket.frames.filter((f) => ['message', 'typing', 'read_receipt'].includes(f.type));
const summaryOf = (frame: Frame, roomId: string) =>
  (frame.data.rooms as { id: string }[]).find((room) => room.id === roomId) as any;

/** Typing frames have no answer: waits until the room item shows the typist (what the stream will carry). */
async function typingStored(roomId: string, userId: string) {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.current.dynamo.endpoint }));
  await eventually(async () => {
    const { Item } = await db.send(
      new GetCommand({ TableName: stack.current.tableName, Key: keys.room(roomId), ConsistentRead: true }),
    );
    expect(Item?.[keys.typist(userId)]).toBeDefined();
  });
}

/** Flushes the stream and waits for the frames it posted to arrive. */
async function flush(...sockets: TestSocket[]) {
  await stack.current.stream.flush();
  await Promise.all(sockets.map((socket) => socket.roundTrip()));
}

describe('the staff queue', () => {
  it('gets one queue frame per batch, a summary per changed room, and no per-message frame', async () => {
    const console = await queueFollower('tess');
    const [first, second] = [await openRoom(), await openRoom()];
    const customer = await open('alice', { room_id: first });
    await flush(console);
    expect(queueFrames(console)).toHaveLength(1);
    expect(
      queueFrames(console)[0]
        ?.data.rooms.map((r: { id: string }) => r.id)
        .sort(),
    ).toEqual([first, second].sort());

    customer.send({ type: 'message', content: 'in the first room' });
    await customer.next('ack');
    customer.send({ type: 'typing', is_typing: true });
    await as('alice').post(`/rooms/${second}/send_message/`, { content: 'in the second room' });
    await as('sam').post(`/rooms/${first}/send_message/`, { content: 'a reply' });
    customer.send({ type: 'read', message_id: 2 });
    await customer.next('read_receipt', (d) => d.user_id === 'alice');
    await typingStored(first, 'alice');
    await flush(console);

    expect(queueFrames(console)).toHaveLength(2);
    const [, batch] = queueFrames(console) as [Frame, Frame];
    expect(batch.data.rooms).toHaveLength(2);
    expect(summaryOf(batch, first)).toEqual({
      id: first,
      room_type: 'general',
      subject: 'Where is my order?',
      status: 'open',
      customer_id: 'alice',
      customer_name: null,
      staff_ids: ['sam'],
      created_at: expect.any(String),
      last_activity_at: expect.any(String),
      closed_at: null,
      closed_by: null,
      assignee_id: null,
      assigned_at: null,
      last_message_id: 2,
      last_message: {
        id: 2,
        sender_id: 'sam',
        sender_role: 'staff',
        preview: 'a reply',
        created_at: expect.any(String),
      },
      // Tess's own: the customer's message; Sam's reply is not news to another agent.
      unread_count: 1,
      version: expect.any(Number),
      reads: { alice: 2, sam: 2 },
      typing: ['alice'],
    });
    expect(summaryOf(batch, second)).toMatchObject({ last_message_id: 1, typing: [] });
    expect(perMessageFrames(console)).toEqual([]);

    // Nothing changed since: no frame.
    await flush(console);
    expect(queueFrames(console)).toHaveLength(2);
    await customer.close();
    await console.close();
  });

  it("orders a room's summaries by version and counts unread per follower", async () => {
    const [tess, sam] = [await queueFollower('tess'), await queueFollower('sam')];
    const room = await openRoom();
    await flush(tess, sam);
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'one' });
    await flush(tess, sam);
    await as('sam').post(`/rooms/${room}/mark_read/`, {});
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'two' });
    await flush(tess, sam);
    const versions = queueFrames(tess).map((frame) => summaryOf(frame, room).version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(summaryOf(queueFrames(tess).at(-1) as Frame, room)).toMatchObject({ unread_count: 2 });
    expect(summaryOf(queueFrames(sam).at(-1) as Frame, room)).toMatchObject({
      unread_count: 1,
      reads: { sam: 1 },
    });
    await Promise.all([tess.close(), sam.close()]);
  });

  it('builds each follower’s frame from one serialization, whatever the messages say', async () => {
    const [tess, sam] = [await queueFollower('tess'), await queueFollower('sam')];
    const room = await openRoom();
    const tricky = ',"unread_count":0,"__proto__":{"x":1}, </script> 👨‍👩‍👧';
    await as('alice').post(`/rooms/${room}/send_message/`, { content: tricky });
    await as('sam').post(`/rooms/${room}/mark_read/`, {});
    await flush(tess, sam);
    for (const [socket, unread] of [
      [tess, 1],
      [sam, 0],
    ] as const) {
      const summary = summaryOf(queueFrames(socket).at(-1) as Frame, room);
      expect(summary).toMatchObject({ unread_count: unread, last_message: { preview: tricky } });
    }
    await Promise.all([tess.close(), sam.close()]);
  });

  it('coalesces many messages in many rooms into one frame per console', async () => {
    const consoles = [await queueFollower('tess'), await queueFollower('sam')];
    const rooms = await Promise.all(Array.from({ length: 3 }, () => openRoom()));
    await flush(...consoles);
    const before = consoles.map((socket) => queueFrames(socket).length);
    for (const [i, room] of rooms.entries()) {
      for (let m = 0; m <= i + 3; m++) {
        await as('alice').post(`/rooms/${room}/send_message/`, { content: `${i}.${m}` });
      }
    }
    await flush(...consoles);
    for (const [c, socket] of consoles.entries()) {
      expect(queueFrames(socket)).toHaveLength((before[c] as number) + 1);
      const last = queueFrames(socket).at(-1) as Frame;
      expect(rooms.map((room) => summaryOf(last, room)?.last_message_id)).toEqual([4, 5, 6]);
    }
    for (const socket of consoles) await socket.close();
  });

  it('tells the queue of created, joined, left and closed rooms, and not the staff who do not follow it', async () => {
    const console = await queueFollower('tess');
    const bystander = await open('sam');
    const room = await openRoom();
    await flush(console, bystander);
    expect(summaryOf(queueFrames(console).at(-1) as Frame, room)).toMatchObject({ status: 'open' });
    await as('sam').post(`/rooms/${room}/join/`);
    await flush(console);
    expect(summaryOf(queueFrames(console).at(-1) as Frame, room)).toMatchObject({ staff_ids: ['sam'] });
    await as('sam').post(`/rooms/${room}/leave/`);
    await flush(console);
    expect(summaryOf(queueFrames(console).at(-1) as Frame, room)).toMatchObject({ staff_ids: [] });
    await as('alice').post(`/rooms/${room}/close/`);
    await flush(console, bystander);
    expect(summaryOf(queueFrames(console).at(-1) as Frame, room)).toMatchObject({
      status: 'closed',
      closed_by: 'alice',
    });
    expect(bystander.frames.filter((f) => f.type === 'queue' || f.type === 'room')).toEqual([]);
    await console.close();
    await bystander.close();
  });

  it('keeps the frames of a room the console follows too, once each', async () => {
    const console = await queueFollower('tess');
    const room = await openRoom();
    console.send({ type: 'subscribe', room_id: room });
    await console.next('room', (d) => d.event === 'subscribed' && d.room_id === room);
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'once' });
    await console.next('message', (d) => d.content === 'once');
    await flush(console);
    expect(console.all('message').filter((f) => f.data.content === 'once')).toHaveLength(1);
    expect(summaryOf(queueFrames(console).at(-1) as Frame, room)).toMatchObject({ last_message_id: 1 });

    console.send({ type: 'unsubscribe', queue: true });
    await console.next('room', (d) => d.queue && d.event === 'unsubscribed');
    const seen = queueFrames(console).length;
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'still followed' });
    await console.next('message', (d) => d.content === 'still followed');
    await flush(console);
    expect(queueFrames(console)).toHaveLength(seen);
    await console.close();
  });

  it('costs a message nothing per console, and a batch one Query of the followers', async () => {
    const consoles = [await queueFollower('tess'), await queueFollower('sam')];
    const room = await openRoom();
    const customer = await open('alice', { room_id: room });
    await flush(...consoles);
    stack.current.dynamo.resetStats();
    customer.send({ type: 'message', content: 'counted', client_message_id: 'q-cost-1' });
    await customer.next('ack');
    // The subscription check; the limit, the claim, the room's sequence and the message; the room's sockets.
    expect(stack.current.dynamo.stats()).toEqual({ GetItem: 1, UpdateItem: 2, PutItem: 2, Query: 1 });
    stack.current.dynamo.resetStats();
    await flush(...consoles);
    expect(stack.current.dynamo.stats()).toEqual({ Query: 1 });
    // Typing is on the room item, so its batch reads nothing more either.
    customer.send({ type: 'typing', is_typing: true });
    await typingStored(room, 'alice');
    stack.current.dynamo.resetStats();
    await flush(...consoles);
    expect(stack.current.dynamo.stats()).toEqual({ Query: 1 });
    for (const socket of consoles) {
      expect(summaryOf(queueFrames(socket).at(-1) as Frame, room)).toMatchObject({ typing: ['alice'] });
    }
    await customer.close();
    for (const socket of consoles) await socket.close();
  });

  it('retries a batch that failed and sends what it held, never skipping it', async () => {
    const console = await queueFollower('tess');
    const room = await openRoom();
    const failed = stack.current.dynamo.injectFault({
      match: (operation, request) =>
        operation === 'Query' && JSON.stringify(request).includes(`"${keys.queueFollowers}"`),
      type: 'AccessDeniedException',
      times: 2,
    });
    await flush(console);
    await failed;
    expect(summaryOf(queueFrames(console).at(-1) as Frame, room)).toMatchObject({ status: 'open' });
    expect(stack.current.stream.failures()).toEqual([]);
    await console.close();
  });

  it('sends a batch that fails on every retry to the on-failure queue', async () => {
    const room = await openRoom();
    const console = await queueFollower('tess');
    let failing = true;
    // Every read of the followers fails until the test says so (the fault's count is never reached).
    void stack.current.dynamo.injectFault({
      match: (operation, request) =>
        failing && operation === 'Query' && JSON.stringify(request).includes(`"${keys.queueFollowers}"`),
      type: 'AccessDeniedException',
      times: 1_000_000,
    });
    try {
      await as('alice').post(`/rooms/${room}/send_message/`, { content: 'lost to the queue' });
      await stack.current.stream.flush();
      // Split down to single records, each retried and given up on: the room's records, one message each.
      const failures = stack.current.stream.failures();
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) {
        expect(failure.DDBStreamBatchInfo).toMatchObject({
          batchSize: 1,
          streamArn: stack.current.stream.streamArn,
        });
      }
      expect(queueFrames(console)).toEqual([]);
    } finally {
      failing = false;
    }
    await console.close();
  });

  it('forgets a console that is gone when a batch finds it', async () => {
    const console = await queueFollower('tess');
    stack.current.webSocket.drop(console.connectionId);
    await settle(1100);
    await openRoom();
    await stack.current.stream.flush();
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.current.dynamo.endpoint }));
    await eventually(async () => {
      const { Items } = await db.send(
        new QueryCommand({
          TableName: stack.current.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.queueFollowers },
        }),
      );
      expect(Items?.map((item) => item.connection_id)).not.toContain(console.connectionId);
    });
  });
});
