import { describe, expect, it } from 'vitest';
import { settle, type TestSocket } from '../support/socket.js';
import { useCast, useLocalStack } from '../support/stack.js';

// Internal notes: staff write them in a room, customers never learn of one, by any endpoint or frame. The
// stream is flushed by hand (one shard), so the queue's frames are counted exactly.
const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: 1 } });
const { as, open, openRoom } = useCast(stack);

const SECRET = 'Refund approved by Dana; do not promise a date';

/** Flushes the stream and waits for what it posted to reach these sockets. */
async function flush(...sockets: TestSocket[]) {
  await stack.current.stream.flush();
  await Promise.all(sockets.map((socket) => socket.roundTrip()));
}

/** A staff socket that follows the queue, confirmed. */
async function queueFollower(who: 'sam' | 'tess'): Promise<TestSocket> {
  const socket = await open(who);
  socket.send({ type: 'subscribe', queue: true });
  await socket.next('room', (d) => d.queue && d.event === 'subscribed');
  return socket;
}

/** Everything a customer can read about their room, over every HTTP route they can reach. */
async function customerReads(roomId: string) {
  const alice = as('alice');
  return {
    history: await alice.get(`/rooms/${roomId}/messages/`),
    after: await alice.get(`/rooms/${roomId}/messages/?after=0&limit=100`),
    room: await alice.get(`/rooms/${roomId}/`),
    rooms: await alice.get('/rooms/?limit=100'),
    notes: await alice.get(`/rooms/${roomId}/notes/`),
  };
}

describe('sending an internal note', () => {
  it('stores a staff note over HTTP with an id of its own, and keeps the message ids gapless', async () => {
    const room = await openRoom();
    expect((await as('alice').post(`/rooms/${room}/send_message/`, { content: 'Hi' })).body.id).toBe(1);
    const note = await as('sam').post(`/rooms/${room}/send_message/`, {
      content: SECRET,
      visibility: 'internal',
    });
    expect(note.status).toBe(201);
    expect(note.body).toMatchObject({
      id: 1,
      room_id: room,
      sender_id: 'sam',
      sender_role: 'staff',
      content: SECRET,
      visibility: 'internal',
    });
    const second = await as('tess').post(`/rooms/${room}/send_message/`, {
      content: 'Second note',
      visibility: 'internal',
    });
    expect(second.body.id).toBe(2);
    // The next message is 2: a note took no id from the sequence customers see.
    const reply = await as('sam').post(`/rooms/${room}/send_message/`, { content: 'Hello Alice' });
    expect(reply.body.id).toBe(2);
    expect(reply.body).not.toHaveProperty('visibility');
    const notes = await as('sam').get(`/rooms/${room}/notes/`);
    expect(notes.status).toBe(200);
    expect(notes.body.results.map((n: { content: string }) => n.content)).toEqual([SECRET, 'Second note']);
    expect(notes.body.has_more).toBe(false);
  });

  it('does not make the note’s writer a member of the room', async () => {
    const room = await openRoom();
    await as('tess').post(`/rooms/${room}/send_message/`, { content: 'Just a word', visibility: 'internal' });
    expect((await as('sam').get(`/rooms/${room}/`)).body.staff_ids).toEqual([]);
  });

  it.each([
    ['a customer', 'alice', 403, 'staff_only'],
    ['another customer', 'carol', 403, 'staff_only'],
  ] as const)('refuses a note from %s with %i', async (_, who, status, code) => {
    const room = await openRoom();
    const response = await as(who).post(`/rooms/${room}/send_message/`, {
      content: 'Let me in',
      visibility: 'internal',
    });
    expect([response.status, response.body.error.code]).toEqual([status, code]);
    expect((await as('sam').get(`/rooms/${room}/notes/`)).body.results).toEqual([]);
  });

  it('refuses a visibility it does not know, and notes to a closed or unknown room', async () => {
    const room = await openRoom();
    const odd = await as('sam').post(`/rooms/${room}/send_message/`, { content: 'x', visibility: 'secret' });
    expect([odd.status, odd.body.error.details[0].field]).toEqual([400, 'visibility']);
    await as('sam').post(`/rooms/${room}/close/`);
    const closed = await as('sam').post(`/rooms/${room}/send_message/`, {
      content: 'late',
      visibility: 'internal',
    });
    expect([closed.status, closed.body.error.code]).toEqual([409, 'room_closed']);
    const unknown = await as('sam').post('/rooms/00000000-0000-4000-8000-000000000000/send_message/', {
      content: 'nowhere',
      visibility: 'internal',
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'room_not_found']);
  });

  it('refuses a note that cites attachments, over HTTP and on the socket, and stores nothing', async () => {
    const room = await openRoom();
    const attachments = ['6f1c2a9e-8b3d-4c7a-9e21-5d4b3a2f1e0c'];
    const http = await as('sam').post(`/rooms/${room}/send_message/`, {
      content: 'see the file',
      visibility: 'internal',
      attachments,
    });
    expect([http.status, http.body.error.details[0].field]).toEqual([400, 'attachments']);
    const socket = await open('sam', { room_id: room });
    socket.send({ type: 'message', room_id: room, content: 'see', visibility: 'internal', attachments });
    expect((await socket.next('error')).data).toMatchObject({ code: 'invalid_request' });
    socket.send({ type: 'ping' });
    await socket.next('pong');
    await socket.close();
    expect((await as('sam').get(`/rooms/${room}/notes/`)).body.results).toEqual([]);
    expect((await as('sam').get(`/rooms/${room}/messages/`)).body.results).toEqual([]);
  });

  it('stores a resend with the same client_message_id once and answers the stored note', async () => {
    const room = await openRoom();
    const body = { content: 'Once', visibility: 'internal', client_message_id: 'note-1' };
    const first = await as('sam').post(`/rooms/${room}/send_message/`, body);
    const again = await as('sam').post(`/rooms/${room}/send_message/`, body);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body).toEqual(first.body);
    expect((await as('sam').get(`/rooms/${room}/notes/`)).body.results).toHaveLength(1);
  });

  it('pages notes by id in both directions', async () => {
    const room = await openRoom();
    for (const n of [1, 2, 3]) {
      await as('sam').post(`/rooms/${room}/send_message/`, { content: `n${n}`, visibility: 'internal' });
    }
    const newest = await as('sam').get(`/rooms/${room}/notes/?limit=2`);
    expect([newest.body.results.map((n: { id: number }) => n.id), newest.body.has_more]).toEqual([
      [2, 3],
      true,
    ]);
    const older = await as('sam').get(`/rooms/${room}/notes/?before=2`);
    expect(older.body.results.map((n: { id: number }) => n.id)).toEqual([1]);
    const after = await as('sam').get(`/rooms/${room}/notes/?after=1`);
    expect(after.body.results.map((n: { id: number }) => n.id)).toEqual([2, 3]);
  });

  it('costs the limit, a read of the room, the counter, the note and the Query of its sockets', async () => {
    const room = await openRoom();
    stack.current.dynamo.resetStats();
    await as('sam').post(`/rooms/${room}/send_message/`, { content: 'counted', visibility: 'internal' });
    expect(stack.current.dynamo.stats()).toEqual({ UpdateItem: 2, GetItem: 1, PutItem: 1, Query: 1 });
  });
});

describe('what a customer can reach holds no note', () => {
  it('leaves history, catch-up, the room, the room list, the unread count and the preview as they were', async () => {
    const room = await openRoom();
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'My parcel is late' });
    await as('sam').post(`/rooms/${room}/send_message/`, { content: 'Looking into it' });
    const before = await customerReads(room);
    const staffBefore = (await as('sam').get('/active-rooms/?limit=100')).body.results.find(
      (r: { id: string }) => r.id === room,
    );

    const note = await as('sam').post(`/rooms/${room}/send_message/`, {
      content: SECRET,
      visibility: 'internal',
    });
    expect(note.status).toBe(201);

    const after = await customerReads(room);
    expect(after.history.body).toEqual(before.history.body);
    expect(after.after.body).toEqual(before.after.body);
    // Not even the version moved: the note never wrote the room item.
    expect(after.room.body).toEqual(before.room.body);
    expect(after.rooms.body).toEqual(before.rooms.body);
    expect(after.room.body).toMatchObject({ last_message_id: 2, unread_count: 1 });
    expect(after.room.body.last_message.preview).toBe('Looking into it');
    expect([after.notes.status, after.notes.body.error.code]).toEqual([403, 'staff_only']);
    expect(JSON.stringify(after)).not.toContain(SECRET);
    // The staff queue's preview is the customer-visible message too.
    const staffAfter = (await as('sam').get('/active-rooms/?limit=100')).body.results.find(
      (r: { id: string }) => r.id === room,
    );
    expect(staffAfter).toEqual(staffBefore);
    // A mark-read to the newest message id stays a message id.
    const read = await as('alice').post(`/rooms/${room}/mark_read/`, {});
    expect(read.body).toMatchObject({ last_read: 2, unread_count: 0 });
  });

  it('pushes a note to the staff sockets of the room alone: no note, message, room or queue frame reaches a customer', async () => {
    const room = await openRoom();
    const customer = await open('alice', { room_id: room });
    const agent = await open('sam', { room_id: room });
    const colleague = await open('tess', { room_id: room });
    const queue = await queueFollower('tess');
    await flush(queue);
    const framesBefore = customer.frames.length;
    const queueBefore = queue.all('queue').length;

    await as('sam').post(`/rooms/${room}/send_message/`, { content: SECRET, visibility: 'internal' });
    const toAgent = await agent.next('note');
    const toColleague = await colleague.next('note');
    expect(toAgent.data).toMatchObject({ id: 1, content: SECRET, visibility: 'internal', room_id: room });
    expect(toColleague.data).toEqual(toAgent.data);

    await flush(queue, customer, agent);
    await settle(200);
    // The customer's socket got only its own pongs; the queue heard of nothing (the room item did not change).
    expect(customer.frames.slice(framesBefore).map((f) => f.type)).toEqual(['pong']);
    expect(JSON.stringify(customer.frames)).not.toContain(SECRET);
    expect(queue.all('queue').length).toBe(queueBefore);
    expect(JSON.stringify(queue.frames)).not.toContain(SECRET);
    expect(agent.all('message')).toEqual([]);
    // The same path does carry a message: so the silence above is the note's, not the test's.
    await as('sam').post(`/rooms/${room}/send_message/`, { content: 'Public reply' });
    await customer.next('message', (d) => d.content === 'Public reply');
    await flush(queue);
    expect(queue.all('queue').length).toBe(queueBefore + 1);
    for (const socket of [customer, agent, colleague, queue]) await socket.close();
  });

  it('takes a note over the socket from staff, with an ack that carries it as a note', async () => {
    const room = await openRoom();
    const customer = await open('alice', { room_id: room });
    const agent = await open('sam', { room_id: room });
    agent.send({
      type: 'message',
      room_id: room,
      content: SECRET,
      visibility: 'internal',
      client_message_id: 'ws-note',
    });
    const ack = await agent.next('ack');
    expect(ack.data).toMatchObject({
      client_message_id: 'ws-note',
      duplicate: false,
      note: { id: 1, content: SECRET, visibility: 'internal' },
    });
    expect(ack.data).not.toHaveProperty('message');
    expect((await agent.next('note')).data.id).toBe(1);
    await customer.roundTrip();
    await settle(200);
    expect(customer.frames.map((f) => f.type)).toEqual(['pong']);
    for (const socket of [customer, agent]) await socket.close();
  });

  it('answers a customer’s note frame with an error frame, stores nothing, and keeps the socket open', async () => {
    const room = await openRoom();
    const customer = await open('alice', { room_id: room });
    const agent = await open('sam', { room_id: room });
    customer.send({ type: 'message', room_id: room, content: 'sneaky', visibility: 'internal' });
    const error = await customer.next('error');
    expect(error.data).toMatchObject({ code: 'staff_only', frame_type: 'message', room_id: room });
    await customer.roundTrip();
    await agent.roundTrip();
    expect(agent.all('note')).toEqual([]);
    expect(agent.all('message')).toEqual([]);
    expect((await as('sam').get(`/rooms/${room}/notes/`)).body.results).toEqual([]);
    expect((await as('sam').get(`/rooms/${room}/messages/`)).body.results).toEqual([]);
    for (const socket of [customer, agent]) await socket.close();
  });

  it('leaves a customer who reconnects and catches up with the messages alone', async () => {
    const room = await openRoom();
    await as('alice').post(`/rooms/${room}/send_message/`, { content: 'one' });
    await as('sam').post(`/rooms/${room}/send_message/`, { content: SECRET, visibility: 'internal' });
    await as('sam').post(`/rooms/${room}/send_message/`, { content: 'two' });
    // Catch-up after a reconnect reads history after the last id the client had; subscribing answers the room.
    const socket = await open('alice');
    socket.send({ type: 'subscribe', room_id: room });
    const subscribed = await socket.next('room', (d) => d.event === 'subscribed');
    expect(subscribed.data.room).toMatchObject({ last_message_id: 2 });
    const caughtUp = await as('alice').get(`/rooms/${room}/messages/?after=1`);
    expect(caughtUp.body.results.map((m: { content: string }) => m.content)).toEqual(['two']);
    expect(JSON.stringify([socket.frames, caughtUp.body])).not.toContain(SECRET);
    await socket.close();
  });
});
