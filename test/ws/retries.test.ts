import { describe, expect, it } from 'vitest';
import { type Person, useCast, useLocalStack } from '../support/stack.js';

// A client retries a write that answered 500. Whatever the first attempt left done or undone, the retry must
// converge on the state (and the frames) of one success.

const stack = useLocalStack();
const cast = useCast(stack);
const { as, open, openRoom } = cast;

/** DynamoDB refuses the next matching request (AccessDenied is not retried by the SDK). */
const refuse = (match: (operation: string, request: Record<string, unknown>) => boolean) =>
  stack.current.dynamo.injectFault({ match, type: 'AccessDeniedException' });
const has = (request: Record<string, unknown>, text: string) => JSON.stringify(request).includes(text);
const fanOutOf = (room: string) => (operation: string, request: Record<string, unknown>) =>
  operation === 'Query' && has(request, `SUB#${room}`);
const messagePutIn = (room: string) => (operation: string, request: Record<string, unknown>) =>
  operation === 'PutItem' && has(request, `ROOM#${room}`) && has(request, '"MSG#');

describe('resending a message', () => {
  it('pushes a resent message again when the send that stored it failed before pushing', async () => {
    const room = await openRoom();
    const sam = await open('sam', { room_id: room });
    const failed = refuse(fanOutOf(room));
    const first = await as('alice').post(`/rooms/${room}/send_message/`, {
      content: 'Hello?',
      client_message_id: 'fan-out-1',
    });
    await failed;
    expect(first.status).toBe(500);
    const again = await as('alice').post(`/rooms/${room}/send_message/`, {
      content: 'Hello?',
      client_message_id: 'fan-out-1',
    });
    expect([again.status, again.body.id]).toEqual([200, 1]);
    expect((await sam.next('message')).data).toMatchObject({ id: 1, content: 'Hello?' });
    await sam.close();
  });

  it('pushes a message whose put failed once a resend stores it, even when that resend failed to push', async () => {
    const room = await openRoom();
    const sam = await open('sam', { room_id: room });
    const putFailed = refuse(messagePutIn(room));
    const first = await as('alice').post(`/rooms/${room}/send_message/`, {
      content: 'Anyone?',
      client_message_id: 'put-1',
    });
    await putFailed;
    expect(first.status).toBe(500);
    const pushFailed = refuse(fanOutOf(room));
    const second = await as('alice').post(`/rooms/${room}/send_message/`, {
      content: 'Anyone?',
      client_message_id: 'put-1',
    });
    await pushFailed;
    expect(second.status).toBe(500);
    const third = await as('alice').post(`/rooms/${room}/send_message/`, {
      content: 'Anyone?',
      client_message_id: 'put-1',
    });
    expect([third.status, third.body.id]).toEqual([200, 1]);
    expect((await sam.next('message')).data).toMatchObject({ id: 1, content: 'Anyone?' });
    const { body: history } = await as('alice').get(`/rooms/${room}/messages/`);
    expect(history.results.map((m: { id: number }) => m.id)).toEqual([1]);
    await sam.close();
  });

  it('pushes a resend over the socket again, and acks it as a duplicate', async () => {
    const room = await openRoom();
    const sam = await open('sam', { room_id: room });
    const alice = await open('alice', { room_id: room });
    await sam.next('presence', (d) => d.user_id === 'alice');
    const failed = refuse(fanOutOf(room));
    alice.send({ type: 'message', content: 'Hi', client_message_id: 'ws-1' });
    await failed;
    expect((await alice.next('error')).data).toMatchObject({
      code: 'internal_error',
      client_message_id: 'ws-1',
    });
    alice.send({ type: 'message', content: 'Hi', client_message_id: 'ws-1' });
    expect((await alice.next('ack')).data).toMatchObject({ client_message_id: 'ws-1', duplicate: true });
    expect((await sam.next('message')).data).toMatchObject({ id: 1, client_message_id: 'ws-1' });
    await alice.close();
    await sam.close();
  });
});

const memberWrite =
  (room: string, operation: 'PutItem' | 'UpdateItem' | 'DeleteItem') =>
  (op: string, request: Record<string, unknown>) =>
    op === operation && has(request, `ROOM#${room}`) && has(request, '"MEMBER#');
const roomsOf = async (who: Person) =>
  (await as(who).get('/rooms/')).body.results.map((r: { id: string }) => r.id);

describe('retrying a change of membership', () => {
  it('finishes a staff member’s implicit join when their reply is resent after a 500', async () => {
    const room = await openRoom();
    const alice = await open('alice', { room_id: room });
    const failed = refuse(memberWrite(room, 'PutItem'));
    const reply = { content: 'On it', client_message_id: 'join-by-reply' };
    expect((await as('sam').post(`/rooms/${room}/send_message/`, reply)).status).toBe(500);
    await failed;
    const again = await as('sam').post(`/rooms/${room}/send_message/`, reply);
    expect([again.status, again.body.id]).toEqual([201, 1]);
    expect(await roomsOf('sam')).toContain(room);
    expect((await alice.next('room', (d) => d.event === 'joined')).data).toMatchObject({
      room_id: room,
      user_id: 'sam',
      room: { staff_ids: ['sam'] },
    });
    expect((await alice.next('message')).data).toMatchObject({ id: 1, content: 'On it' });
    const { body: history } = await as('alice').get(`/rooms/${room}/messages/`);
    expect(history.results.map((m: { id: number }) => m.id)).toEqual([1]);
    await alice.close();
  });

  it('joins a staff member whose reply without client_message_id failed to record the join, when they send again', async () => {
    const room = await openRoom();
    const alice = await open('alice', { room_id: room });
    const failed = refuse(memberWrite(room, 'PutItem'));
    expect((await as('tess').post(`/rooms/${room}/send_message/`, { content: 'Hello' })).status).toBe(500);
    await failed;
    const again = await as('tess').post(`/rooms/${room}/send_message/`, { content: 'Hello' });
    expect(again.status).toBe(201);
    expect(await roomsOf('tess')).toContain(room);
    expect((await alice.next('room', (d) => d.event === 'joined')).data).toMatchObject({ user_id: 'tess' });
    const { body: view } = await as('alice').get(`/rooms/${room}/`);
    expect([view.staff_ids, view.last_message_id, view.unread_count]).toEqual([['tess'], again.body.id, 1]);
    await alice.close();
  });

  it('finishes a join retried after a 500', async () => {
    const room = await openRoom();
    const alice = await open('alice', { room_id: room });
    const failed = refuse(memberWrite(room, 'PutItem'));
    expect((await as('sam').post(`/rooms/${room}/join/`)).status).toBe(500);
    await failed;
    const again = await as('sam').post(`/rooms/${room}/join/`);
    expect([again.status, again.body.staff_ids]).toEqual([200, ['sam']]);
    expect(await roomsOf('sam')).toContain(room);
    expect((await alice.next('room', (d) => d.event === 'joined')).data).toMatchObject({ user_id: 'sam' });
    await alice.close();
  });

  it('finishes a leave retried after a 500', async () => {
    const room = await openRoom();
    await as('sam').post(`/rooms/${room}/join/`);
    const alice = await open('alice', { room_id: room });
    const failed = refuse(memberWrite(room, 'DeleteItem'));
    expect((await as('sam').post(`/rooms/${room}/leave/`)).status).toBe(500);
    await failed;
    const again = await as('sam').post(`/rooms/${room}/leave/`);
    expect([again.status, again.body.staff_ids]).toEqual([200, []]);
    expect(await roomsOf('sam')).not.toContain(room);
    expect((await alice.next('room', (d) => d.event === 'left')).data).toMatchObject({ user_id: 'sam' });
    await alice.close();
  });

  it('takes a closed room off its staff members’ rooms when the close is retried after a 500', async () => {
    const room = await openRoom();
    await as('sam').post(`/rooms/${room}/join/`);
    const alice = await open('alice', { room_id: room });
    const failed = refuse(memberWrite(room, 'UpdateItem'));
    expect((await as('sam').post(`/rooms/${room}/close/`)).status).toBe(500);
    await failed;
    const again = await as('sam').post(`/rooms/${room}/close/`);
    expect([again.status, again.body.status]).toEqual([200, 'closed']);
    expect(await roomsOf('sam')).not.toContain(room);
    expect((await alice.next('room', (d) => d.event === 'closed')).data).toMatchObject({ user_id: 'sam' });
    await alice.close();
  });
});

describe('concurrent senders under resends and lost answers', () => {
  const seqUpdateIn = (room: string) => (operation: string, request: Record<string, unknown>) =>
    operation === 'UpdateItem' && has(request, `ROOM#${room}`) && has(request, 'seq = seq +');

  /** Sends like the typed client: the same client_message_id again after a 409 in progress or a 500. */
  async function sendUntilStored(who: Person, room: string, body: object): Promise<number> {
    for (;;) {
      const response = await as(who).post(`/rooms/${room}/send_message/`, body);
      if (response.status === 200 || response.status === 201) return response.body.id;
      expect([409, 500]).toContain(response.status);
    }
  }

  it('numbers three senders’ messages 1..60 with every other one sent twice and ten answers lost after applying', async () => {
    const room = await openRoom();
    const lost = Promise.all([
      stack.current.dynamo.injectFault({ match: seqUpdateIn(room), after: true, times: 5 }),
      stack.current.dynamo.injectFault({ match: messagePutIn(room), after: true, times: 5 }),
    ]);
    const senders = ['alice', 'sam', 'tess'] as const;
    await Promise.all(
      senders.map(async (who) => {
        for (let i = 0; i < 20; i++) {
          const body = { content: `${who} ${i}`, client_message_id: `${who}-${i}` };
          const copies = await Promise.all(
            Array.from({ length: i % 2 === 0 ? 2 : 1 }, () => sendUntilStored(who, room, body)),
          );
          expect(new Set(copies).size).toBe(1);
        }
      }),
    );
    await lost;
    const { body: history } = await as('alice').get(`/rooms/${room}/messages/?limit=100`);
    const ids = history.results.map((m: { id: number }) => m.id);
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const { body: view } = await as('alice').get(`/rooms/${room}/`);
    const alicesLast = Math.max(
      ...history.results
        .filter((m: { sender_id: string }) => m.sender_id === 'alice')
        .map((m: { id: number }) => m.id),
    );
    expect(view.last_message_id).toBe(60);
    expect(view.last_message.id).toBe(60);
    expect(view.unread_count).toBe(60 - alicesLast);
    expect(view.staff_ids).toEqual(['sam', 'tess']);
    for (const who of ['sam', 'tess'] as const) expect(await roomsOf(who)).toContain(room);
  }, 120_000);
});
