import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/storage/keys.js';
import { BAD_TOKENS } from '../support/bad-tokens.js';
import { eventually, HandshakeError, settle, TestSocket } from '../support/socket.js';
import { api, useCast, useLocalStack } from '../support/stack.js';

// Gone sockets are forgotten after 1 s here; in AWS a socket must be 30 s old (its $connect may still run).
// The stream's batches are cut only by a flush (none here), so its consumer never adds to the counts below;
// test/ws/queue.test.ts covers the queue it feeds.
const stack = useLocalStack({
  environment: { GONE_GRACE_SECONDS: '1' },
  stream: { batchWindowMs: 'manual' },
});
const cast = useCast(stack);
const { as, open, openRoom } = cast;

async function refusal(query: Record<string, string>): Promise<number> {
  try {
    const socket = await TestSocket.open(stack.current, query);
    await socket.close();
    return 101;
  } catch (error) {
    if (error instanceof HandshakeError) return error.status;
    throw error;
  }
}

describe('WebSocket handshake', () => {
  it('refuses a socket without a token or ticket with 401', async () => {
    expect(await refusal({})).toBe(401);
  });

  it.each(BAD_TOKENS)('refuses a token %s with 401', async (_name, mint) => {
    expect(await refusal({ token: await mint(stack.current) })).toBe(401);
  });

  it('accepts a token whose audience is in client_id, like a Cognito access token', async () => {
    const token = await stack.current.issuer.mint({
      userId: 'alice',
      extraClaims: { aud: undefined, client_id: stack.current.issuer.audience, token_use: 'access' },
    });
    expect(await refusal({ token })).toBe(101);
  });

  it('accepts a one-time ticket once', async () => {
    const { body } = await as('alice').post('/ws-ticket/');
    expect(body).toEqual({ ticket: expect.stringMatching(/^[\w-]{43}$/), expires_in: 60 });
    const socket = await TestSocket.open(stack.current, { ticket: body.ticket });
    socket.send({ type: 'ping' });
    await socket.next('pong');
    await socket.close();
    expect(await refusal({ ticket: body.ticket })).toBe(401);
  });

  it('refuses to open a socket on another customer’s room or an unknown room with 404', async () => {
    const room = await openRoom();
    expect(await refusal({ token: cast.tokens.carol, room_id: room })).toBe(404);
    expect(await refusal({ token: cast.tokens.alice, room_id: '00000000-0000-4000-8000-000000000000' })).toBe(
      404,
    );
    expect(await refusal({ token: cast.tokens.alice, room_id: 'nonsense' })).toBe(404);
  });
});

describe('WebSocket chat', () => {
  it('carries every event of the original protocol both ways', async () => {
    const room = await openRoom();
    const customer = await open('alice', { room_id: room });
    const staff = await open('sam');
    staff.send({ type: 'subscribe', room_id: room });
    const subscribed = await staff.next('room', (d) => d.event === 'subscribed');
    expect(subscribed.data).toMatchObject({
      room_id: room,
      user_id: 'sam',
      room: { id: room, status: 'open' },
    });

    customer.send({ type: 'message', content: 'Hello', client_message_id: 'm-1' });
    const ack = await customer.next('ack');
    const message = {
      id: 1,
      room_id: room,
      sender_id: 'alice',
      sender_role: 'customer',
      content: 'Hello',
      created_at: expect.any(String),
      client_message_id: 'm-1',
    };
    expect(ack.data).toEqual({ client_message_id: 'm-1', duplicate: false, message });
    expect((await staff.next('message')).data).toEqual(message);
    expect((await customer.next('message')).data).toEqual(message);

    staff.send({ type: 'typing', is_typing: true, room_id: room });
    expect((await customer.next('typing')).data).toEqual({
      room_id: room,
      user_id: 'sam',
      role: 'staff',
      is_typing: true,
    });

    staff.send({ type: 'read', message_id: 1, room_id: room });
    const receipt = {
      room_id: room,
      user_id: 'sam',
      role: 'staff',
      message_id: 1,
      read_at: expect.any(String),
    };
    expect((await customer.next('read_receipt')).data).toEqual(receipt);

    staff.send({ type: 'message', content: 'Hi! Let me check.', room_id: room });
    expect((await customer.next('room', (d) => d.event === 'joined')).data).toMatchObject({ user_id: 'sam' });
    expect((await customer.next('message', (d) => d.sender_id === 'sam')).data).toMatchObject({
      id: 2,
      sender_role: 'staff',
      content: 'Hi! Let me check.',
    });

    customer.send({ type: 'typing', is_typing: false });
    expect((await staff.next('typing')).data).toMatchObject({ user_id: 'alice', is_typing: false });
    customer.send({ type: 'read', message_id: 2 });
    expect((await staff.next('read_receipt', (d) => d.user_id === 'alice')).data).toMatchObject({
      message_id: 2,
    });

    await staff.roundTrip();
    expect(staff.all('typing').filter((f) => f.data.user_id === 'sam')).toEqual([]);
    await customer.close();
    await staff.close();
  });

  it('lets one staff socket follow several rooms', async () => {
    const rooms = [await openRoom(), await openRoom(), await openRoom()];
    const staff = await open('tess');
    for (const room of rooms) {
      staff.send({ type: 'subscribe', room_id: room });
      await staff.next('room', (d) => d.event === 'subscribed' && d.room_id === room);
    }
    for (const [i, room] of rooms.entries()) {
      await as('alice').post(`/rooms/${room}/send_message/`, { content: `room ${i}` });
    }
    for (const [i, room] of rooms.entries()) {
      expect((await staff.next('message', (d) => d.room_id === room)).data.content).toBe(`room ${i}`);
    }
    staff.send({ type: 'unsubscribe', room_id: rooms[0] });
    await staff.next('room', (d) => d.event === 'unsubscribed');
    await as('alice').post(`/rooms/${rooms[0]}/send_message/`, { content: 'after unsubscribe' });
    await as('alice').post(`/rooms/${rooms[1]}/send_message/`, { content: 'still followed' });
    await staff.next('message', (d) => d.content === 'still followed');
    expect(staff.all('message').map((f) => f.data.content)).not.toContain('after unsubscribe');
    await staff.close();
  });

  it('never delivers a frame of a room to another customer', async () => {
    const room = await openRoom();
    const owner = await open('alice', { room_id: room });
    const intruder = await open('carol');
    intruder.send({ type: 'subscribe', room_id: room });
    expect((await intruder.next('error')).data).toMatchObject({ code: 'room_not_found', room_id: room });
    intruder.send({ type: 'message', content: 'let me in', room_id: room });
    expect((await intruder.next('error')).data).toMatchObject({
      code: 'not_subscribed',
      frame_type: 'message',
    });
    intruder.send({ type: 'typing', is_typing: true, room_id: room });
    await intruder.next('error', (d) => d.frame_type === 'typing');

    owner.send({ type: 'message', content: 'private' });
    owner.send({ type: 'typing', is_typing: true });
    owner.send({ type: 'read', message_id: 1 });
    await owner.next('ack');
    await as('sam').post(`/rooms/${room}/join/`);
    await owner.next('room', (d) => d.event === 'joined');
    await intruder.roundTrip();
    expect(intruder.frames.filter((f) => f.type !== 'error' && f.type !== 'pong')).toEqual([]);
    expect(owner.all('message').map((f) => f.data.content)).toEqual(['private']);
    await owner.close();
    await intruder.close();
  });

  it('stores an idempotent resend once and acks it as a duplicate', async () => {
    const room = await openRoom();
    const socket = await open('alice', { room_id: room });
    socket.send({ type: 'message', content: 'once', client_message_id: 'dup-1' });
    const first = await socket.next('ack');
    socket.send({ type: 'message', content: 'once', client_message_id: 'dup-1' });
    const second = await socket.next('ack');
    expect(first.data.duplicate).toBe(false);
    expect(second.data).toEqual({ ...first.data, duplicate: true });
    expect((await as('alice').get(`/rooms/${room}/messages/`)).body.results).toHaveLength(1);
    await socket.close();
  });

  it('stores 50 messages sent at once exactly once, with gap-free ids, and delivers each exactly once', async () => {
    const room = await openRoom();
    const sender = await open('alice', { room_id: room });
    const receiver = await open('sam', { room_id: room });
    for (let i = 0; i < 50; i++)
      sender.send({ type: 'message', content: `burst ${i}`, client_message_id: `b-${i}` });
    await eventually(() => expect(sender.all('ack')).toHaveLength(50), 15_000);
    await eventually(() => expect(receiver.all('message')).toHaveLength(50), 15_000);
    const ids = (frames: { data: any }[]) =>
      frames.map((f) => f.data.id ?? f.data.message.id).sort((a, b) => a - b);
    const oneToFifty = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(ids(sender.all('ack'))).toEqual(oneToFifty);
    expect(ids(receiver.all('message'))).toEqual(oneToFifty);
    const byContent = new Map(receiver.all('message').map((f) => [f.data.client_message_id, f.data.content]));
    for (let i = 0; i < 50; i++) expect(byContent.get(`b-${i}`)).toBe(`burst ${i}`);
    const history = await as('alice').get(`/rooms/${room}/messages/?limit=100`);
    expect(history.body.results.map((m: { id: number }) => m.id)).toEqual(oneToFifty);
    await settle(200);
    expect(receiver.all('message')).toHaveLength(50);
    await sender.close();
    await receiver.close();
  });

  it('answers ping with pong through the route response', async () => {
    const socket = await open('alice');
    socket.send({ type: 'ping' });
    expect((await socket.next('pong')).data).toEqual({ time: expect.any(String) });
    await socket.close();
  });
});

describe('WebSocket bad input', () => {
  let room: string;
  let other: string;
  let socket: TestSocket;
  beforeAll(async () => {
    room = await openRoom();
    other = await openRoom();
    socket = await open('alice', { room_id: room });
  });
  afterAll(async () => socket.close());

  /** A frame, or one built from the rooms of this suite (known only once they exist). */
  type Frame = unknown | ((rooms: { other: string }) => unknown);
  type Expected = Record<string, unknown> | ((rooms: { other: string }) => Record<string, unknown>);
  it.each<[string, Frame, Expected]>([
    ['text that is not JSON', 'not json at all', { code: 'invalid_json' }],
    ['a JSON array', '[1, 2, 3]', { code: 'unknown_frame_type' }],
    ['a frame without a type', { content: 'no type' }, { code: 'unknown_frame_type' }],
    ['an unknown type', { type: 'shout', content: 'hi' }, { code: 'unknown_frame_type' }],
    ['empty content', { type: 'message', content: '' }, { code: 'invalid_request', frame_type: 'message' }],
    ['blank content', { type: 'message', content: '   ' }, { code: 'invalid_request' }],
    ['zero-width spaces only', { type: 'message', content: '\u200b\u200b' }, { code: 'invalid_request' }],
    ['a ZWJ and a BOM only', { type: 'message', content: '\u200d\ufeff' }, { code: 'invalid_request' }],
    ['a NUL only', { type: 'message', content: '\u0000' }, { code: 'invalid_request' }],
    ['controls only', { type: 'message', content: '\u0007\u001b\u007f' }, { code: 'invalid_request' }],
    [
      'format characters only',
      { type: 'message', content: '\u00ad\u2060\u202e' },
      { code: 'invalid_request' },
    ],
    ['separators only', { type: 'message', content: '\u00a0\u2028\u2029' }, { code: 'invalid_request' }],
    [
      'variation selectors only',
      { type: 'message', content: '\ufe0f\u{e0100}' },
      { code: 'invalid_request' },
    ],
    ['a lone high surrogate', '{"type":"message","content":"broken \\ud800"}', { code: 'invalid_request' }],
    ['a lone low surrogate', '{"type":"message","content":"\\udc00"}', { code: 'invalid_request' }],
    ['4,001 characters', { type: 'message', content: 'x'.repeat(4001) }, { code: 'invalid_request' }],
    ['numeric content', { type: 'message', content: 42 }, { code: 'invalid_request' }],
    [
      'a bad client_message_id',
      { type: 'message', content: 'hi', client_message_id: 'bad id!' },
      { code: 'invalid_request' },
    ],
    [
      'a room the socket does not follow',
      ({ other }: { other: string }) => ({ type: 'message', content: 'hi', room_id: other }),
      ({ other }: { other: string }) => ({ code: 'not_subscribed', room_id: other }),
    ],
    ['a non-boolean is_typing', { type: 'typing', is_typing: 'yes' }, { code: 'invalid_request' }],
    ['a negative message_id', { type: 'read', message_id: -1 }, { code: 'invalid_request' }],
    [
      'message_id 1e308',
      '{"type":"read","message_id":1e308}',
      { code: 'invalid_request', frame_type: 'read' },
    ],
    ['message_id 2^53 + 1', '{"type":"read","message_id":9007199254740993}', { code: 'invalid_request' }],
    [
      'a message_id past the newest message',
      { type: 'read', message_id: 99 },
      { code: 'message_id_out_of_range' },
    ],
    ['a subscribe with neither room nor queue', { type: 'subscribe' }, { code: 'invalid_request' }],
  ])('answers %s with an error frame', async (_, frame, expected) => {
    const before = socket.all('error').length;
    socket.send(typeof frame === 'function' ? frame({ other }) : frame);
    const error = await socket.next('error', () => socket.all('error').length > before);
    expect(error.data).toMatchObject(typeof expected === 'function' ? expected({ other }) : expected);
    expect(typeof error.data.message).toBe('string');
  });

  it('keeps the socket open and stores none of them', async () => {
    socket.send({ type: 'message', content: 'still here' });
    expect((await socket.next('ack')).data.message.id).toBe(1);
    expect((await as('alice').get(`/rooms/${room}/messages/`)).body.results).toHaveLength(1);
    socket.send({ type: 'message', content: '👨‍👩‍👧' });
    expect((await socket.next('ack', (d) => d.message.id === 2)).data.message.content).toBe('👨‍👩‍👧');
  });
});

describe('the staff queue', () => {
  it('is for staff only', async () => {
    const socket = await open('alice');
    socket.send({ type: 'subscribe', queue: true });
    expect((await socket.next('error')).data).toMatchObject({ code: 'staff_only', frame_type: 'subscribe' });
    socket.send({ type: 'subscribe', queue: true, room_id: '00000000-0000-4000-8000-000000000000' });
    expect((await socket.next('error', (d) => d.code === 'invalid_request')).data.message).toBe(
      'Give either room_id or "queue": true',
    );
    await socket.close();
  });

  it('forgets a queue follower when its socket closes', async () => {
    const console = await open('sam');
    console.send({ type: 'subscribe', queue: true });
    await console.next('room', (d) => d.queue);
    const followers = async () => {
      const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.current.dynamo.endpoint }));
      const { Items } = await db.send(
        new QueryCommand({
          TableName: stack.current.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.queueFollowers },
        }),
      );
      return Items?.map((item) => item.connection_id) ?? [];
    };
    expect(await followers()).toContain(console.connectionId);
    await console.close();
    await eventually(async () => expect(await followers()).not.toContain(console.connectionId));
  });
});

describe('REST and sockets see one world', () => {
  it('pushes join, message, read, leave and close to the room, and room creation to no socket', async () => {
    const staff = await open('sam');
    const room = await openRoom();

    const customer = await open('alice', { room_id: room });
    await as('sam').post(`/rooms/${room}/join/`);
    expect((await customer.next('room', (d) => d.event === 'joined')).data).toMatchObject({
      user_id: 'sam',
      room: { staff_ids: ['sam'] },
    });
    await as('sam').post(`/rooms/${room}/send_message/`, { content: 'via REST' });
    expect((await customer.next('message')).data).toMatchObject({
      id: 1,
      content: 'via REST',
      sender_id: 'sam',
    });
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'thanks' });
    await as('sam').post(`/rooms/${room}/mark_read/`, {});
    expect((await customer.next('read_receipt')).data).toMatchObject({ user_id: 'sam', message_id: 2 });
    await as('sam').post(`/rooms/${room}/leave/`);
    expect((await customer.next('room', (d) => d.event === 'left')).data.room.staff_ids).toEqual([]);
    await as('alice').post(`/rooms/${room}/close/`);
    expect((await customer.next('room', (d) => d.event === 'closed')).data.room.status).toBe('closed');
    // Staff that follow neither the room nor the queue hear nothing of it (the queue: test/ws/queue.test.ts).
    await staff.roundTrip();
    expect(staff.frames.filter((f) => f.type === 'room' || f.type === 'queue')).toEqual([]);
    customer.send({ type: 'message', content: 'too late' });
    expect((await customer.next('error')).data).toMatchObject({ code: 'room_closed' });
    await customer.close();
    await staff.close();
  });
});

describe('presence', () => {
  const onlineStaff = async () =>
    (await as('alice').get('/online-staff/')).body.results.map((u: { user_id: string }) => u.user_id);

  it('keeps a staff member online until their last socket closes, and tells their rooms', async () => {
    const room = await openRoom();
    await as('tess').post(`/rooms/${room}/join/`);
    const customer = await open('alice', { room_id: room });
    const colleague = await open('sam');
    const tab1 = await open('tess');
    expect((await customer.next('presence', (d) => d.user_id === 'tess')).data).toEqual({
      user_id: 'tess',
      role: 'staff',
      is_online: true,
      version: expect.any(Number),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    await colleague.next('presence', (d) => d.user_id === 'tess' && d.is_online);
    const tab2 = await open('tess');
    expect(await onlineStaff()).toContain('tess');
    expect(
      (await as('alice').get('/online-staff/')).body.results.find((u: any) => u.user_id === 'tess'),
    ).toMatchObject({
      connections: 2,
      online_since: expect.any(String),
    });
    await tab1.close();
    await eventually(async () =>
      expect(
        (await as('alice').get('/online-staff/')).body.results.find((u: any) => u.user_id === 'tess')
          ?.connections,
      ).toBe(1),
    );
    expect(customer.all('presence').filter((f) => f.data.user_id === 'tess' && !f.data.is_online)).toEqual(
      [],
    );
    await tab2.close();
    expect(
      (await customer.next('presence', (d) => d.user_id === 'tess' && !d.is_online)).data.is_online,
    ).toBe(false);
    await eventually(async () => expect(await onlineStaff()).not.toContain('tess'));
    await customer.close();
    await colleague.close();
  });

  it('shows the customer’s presence to the staff following their room', async () => {
    const room = await openRoom();
    const staff = await open('sam', { room_id: room });
    const customer = await open('alice');
    expect((await staff.next('presence', (d) => d.user_id === 'alice')).data).toEqual({
      user_id: 'alice',
      role: 'customer',
      is_online: true,
      version: expect.any(Number),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect((await as('sam').get(`/rooms/${room}/`)).body.members[0]).toMatchObject({
      user_id: 'alice',
      is_online: true,
    });
    await customer.close();
    await staff.next('presence', (d) => d.user_id === 'alice' && !d.is_online);
    await staff.close();
  });

  it('forgets a socket dropped without $disconnect at the next fan-out that finds it gone', async () => {
    const room = await openRoom();
    await as('tess').post(`/rooms/${room}/join/`);
    const customer = await open('alice', { room_id: room });
    const lost = await open('tess', { room_id: room });
    expect(await onlineStaff()).toContain('tess');
    stack.current.webSocket.drop(lost.connectionId);
    await settle(1100);
    expect(await onlineStaff()).toContain('tess');
    customer.send({ type: 'message', content: 'anyone there?' });
    await customer.next('ack');
    await customer.next('presence', (d) => d.user_id === 'tess' && !d.is_online);
    expect(await onlineStaff()).not.toContain('tess');
    stack.current.dynamo.resetStats();
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'second' });
    await customer.next('message', (d) => d.content === 'second');
    // The sender's limit counter, the room's sequence, the message and the room's subscriptions.
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 2, PutItem: 1, Query: 1 });
    await customer.close();
  });
});

describe('races', () => {
  it('announces a user once when two tabs open at the same moment', async () => {
    const room = await openRoom();
    const staff = await open('sam', { room_id: room });
    const tabs = await Promise.all([open('alice'), open('alice')]);
    await staff.next('presence', (d) => d.user_id === 'alice' && d.is_online);
    await settle(300);
    expect(staff.all('presence').filter((f) => f.data.user_id === 'alice' && f.data.is_online)).toHaveLength(
      1,
    );
    await Promise.all(tabs.map((tab) => tab.close()));
    await staff.next('presence', (d) => d.user_id === 'alice' && !d.is_online);
    await staff.close();
  });

  it('delivers a message that a resend completed after the first send died half-way', async () => {
    const room = await openRoom();
    const receiver = await open('sam', { room_id: room });
    const sender = await open('alice', { room_id: room });
    // The first send took sequence number 1 and claimed its client_message_id, then its Lambda died.
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.current.dynamo.endpoint }));
    await db.send(
      new UpdateCommand({
        TableName: stack.current.tableName,
        Key: keys.room(room),
        UpdateExpression: 'SET seq = :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    await db.send(
      new PutCommand({
        TableName: stack.current.tableName,
        Item: { ...keys.claim(room, 'alice', 'lost-1'), seq: 1, ttl: 4_000_000_000 },
      }),
    );
    sender.send({ type: 'message', content: 'did this arrive?', client_message_id: 'lost-1' });
    expect((await sender.next('ack')).data).toMatchObject({
      duplicate: false,
      message: { id: 1, content: 'did this arrive?' },
    });
    expect((await receiver.next('message')).data).toMatchObject({ id: 1, client_message_id: 'lost-1' });
    await sender.close();
    await receiver.close();
  });

  it('removes a subscription left behind by a connection that was already forgotten', async () => {
    const room = await openRoom();
    const customer = await open('alice', { room_id: room });
    const staff = await open('tess');
    staff.send({ type: 'subscribe', room_id: room });
    await staff.next('room', (d) => d.event === 'subscribed');
    // The socket vanished and its connection item was cleaned up, but its subscription survived.
    stack.current.webSocket.drop(staff.connectionId);
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.current.dynamo.endpoint }));
    await db.send(
      new DeleteCommand({ TableName: stack.current.tableName, Key: keys.connection(staff.connectionId) }),
    );
    await settle(1100);
    customer.send({ type: 'message', content: 'first' });
    await customer.next('ack');
    const { Items } = await db.send(
      new QueryCommand({
        TableName: stack.current.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.subscriptionsOf(room) },
      }),
    );
    expect(Items?.map((item) => item.connection_id)).toEqual([customer.connectionId]);
    await customer.close();
  });
});

describe('cleanup of gone sockets', () => {
  const db = () =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.current.dynamo.endpoint }));
  const onlineStaff = async () =>
    (await as('alice').get('/online-staff/')).body.results.map((u: { user_id: string }) => u.user_id);
  /** A staff member of this test alone: sockets other tests leave behind cannot keep them online. */
  let staffCount = 0;
  const newStaff = async () => {
    staffCount += 1;
    const userId = `cleanup-staff-${staffCount}`;
    const token = await stack.current.issuer.mint({ userId, staff: true });
    return {
      userId,
      token,
      open: (query: Record<string, string> = {}) => TestSocket.open(stack.current, { token, ...query }),
    };
  };
  /** The connection ids stored under a partition (a room's subscriptions, the queue). */
  const stored = async (pk: string) => {
    const { Items } = await db().send(
      new QueryCommand({
        TableName: stack.current.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      }),
    );
    return (Items ?? []).map((item) => String(item.connection_id));
  };
  /** A socket vanished and its connection item is already gone: only what it was found by leads to its items. */
  const ghost = async (connectionId: string) => {
    stack.current.webSocket.drop(connectionId);
    await db().send(
      new DeleteCommand({ TableName: stack.current.tableName, Key: keys.connection(connectionId) }),
    );
    await settle(1100);
  };

  it('finishes a $disconnect that failed half-way at the next fan-out that finds the socket gone', async () => {
    const room = await openRoom();
    const staff = await newStaff();
    await api(stack.current, staff.token).post(`/rooms/${room}/join/`);
    const customer = await open('alice', { room_id: room });
    const lost = await staff.open({ room_id: room });
    // The batch that deletes the staff socket's presence and subscription is refused; the connection item must
    // survive it.
    const failed = stack.current.dynamo.injectFault({
      match: (operation, request) =>
        operation === 'BatchWriteItem' && JSON.stringify(request).includes(lost.connectionId),
      type: 'AccessDeniedException',
    });
    await lost.close();
    await failed;
    await settle(1100);
    expect(await onlineStaff()).toContain(staff.userId);
    customer.send({ type: 'message', content: 'still there?' });
    await customer.next('ack');
    await customer.next('presence', (d) => d.user_id === staff.userId && !d.is_online);
    expect(await onlineStaff()).not.toContain(staff.userId);
    expect(await stored(keys.subscriptionsOf(room))).toEqual([customer.connectionId]);
    await customer.close();
  });

  it('removes both the room subscription and the queue item of a gone console that followed both', async () => {
    const room = await openRoom();
    const customer = await open('alice', { room_id: room });
    const console = await (await newStaff()).open();
    console.send({ type: 'subscribe', queue: true });
    await console.next('room', (d) => d.queue);
    console.send({ type: 'subscribe', room_id: room });
    await console.next('room', (d) => d.event === 'subscribed' && d.room_id === room);
    await ghost(console.connectionId);
    customer.send({ type: 'message', content: 'hello?' });
    await customer.next('ack');
    // The room's fan-out finds the subscription; the queue's next batch finds the queue item.
    await stack.current.stream.flush();
    await eventually(async () => {
      expect(await stored(keys.subscriptionsOf(room))).toEqual([customer.connectionId]);
      expect(await stored(keys.queueFollowers)).not.toContain(console.connectionId);
    });
    await customer.close();
  });

  it('removes the presence of a gone staff socket found through staff presence, and says they left', async () => {
    const staff = await newStaff();
    const watcher = await open('sam');
    const lost = await staff.open();
    await watcher.next('presence', (d) => d.user_id === staff.userId && d.is_online);
    await ghost(lost.connectionId);
    expect(await onlineStaff()).toContain(staff.userId);
    // A colleague's sign-in is announced to every staff socket, found through their presence items.
    const colleague = await open('tess');
    await watcher.next('presence', (d) => d.user_id === staff.userId && !d.is_online);
    await colleague.close();
    expect(await onlineStaff()).not.toContain(staff.userId);
    await watcher.close();
  });
});

describe('cost per frame', () => {
  it('handles a message frame with 1 read, 4 writes (one the sender’s limit, one the claim) and a Query of the room’s sockets', async () => {
    const room = await openRoom();
    const watcher = await open('sam', { room_id: room });
    const socket = await open('alice', { room_id: room });
    await watcher.next('presence', (d) => d.user_id === 'alice');
    stack.current.dynamo.resetStats();
    socket.send({ type: 'message', content: 'counted', client_message_id: 'cost-1' });
    await socket.next('ack');
    // The subscription check; the limit, the claim, the room's sequence and the message; the room's sockets.
    // Nothing per console: the queue hears of it from the stream.
    expect(stack.current.dynamo.stats()).toEqual({ GetItem: 1, UpdateItem: 2, PutItem: 2, Query: 1 });
    // Base-table units as DynamoDB reports them (index writes come on top; see docs/operations.md).
    expect(stack.current.dynamo.units()).toEqual({ read: 2, write: 4 });
    stack.current.dynamo.resetStats();
    socket.send({ type: 'typing', is_typing: true });
    await watcher.next('typing');
    // The socket's typing counter, the subscription check, the typist on the room item (for the queue's
    // stream), the room's sockets.
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 2, GetItem: 1, Query: 1 });
    await socket.close();
    await watcher.close();
  });
});
