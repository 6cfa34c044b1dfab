import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/storage/keys.js';
import { captureLogs } from '../support/logs.js';
import type { Frame, TestSocket } from '../support/socket.js';
import { api, useCast, useLocalStack } from '../support/stack.js';

// Stream batches are cut by the tests (one shard: one flush, one batch), so queue frames are counted exactly.
const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: 1 } });
const { as, open, openRoom } = useCast(stack);

const assign = (who: 'alice' | 'carol' | 'sam' | 'tess', roomId: string, body: unknown) =>
  as(who).post(`/rooms/${roomId}/assign/`, body);

/** A staff socket that follows the queue, confirmed. */
async function queueFollower(who: 'sam' | 'tess'): Promise<TestSocket> {
  const socket = await open(who);
  socket.send({ type: 'subscribe', queue: true });
  await socket.next('room', (d) => d.queue && d.event === 'subscribed');
  return socket;
}

describe('POST /api/chat/rooms/{id}/assign/', () => {
  it('costs one conditional write of the room, and the join it implies (before any socket: nothing else runs)', async () => {
    const roomId = await openRoom();
    stack.current.dynamo.resetStats();
    await assign('sam', roomId, { staff_id: 'sam' });
    // Read the room (access), write it (the condition), find and write the membership (and read the room
    // back, in case a close raced it), count it for sam, and find the room's sockets for the frame.
    expect(stack.current.dynamo.stats()).toEqual({ GetItem: 3, UpdateItem: 2, PutItem: 1, Query: 1 });
    stack.current.dynamo.resetStats();
    const refused = await assign('tess', roomId, { staff_id: 'tess' });
    expect(refused.status).toBe(409);
    // A refusal costs the read and the refused write (which reports who has the room): nothing more.
    expect(stack.current.dynamo.stats()).toEqual({ GetItem: 1, UpdateItem: 1 });
  });

  it('lets a staff member take an unassigned room, which makes them a member', async () => {
    const roomId = await openRoom();
    const response = await assign('sam', roomId, { staff_id: 'sam' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: roomId, assignee_id: 'sam', staff_ids: ['sam'] });
    expect(Date.parse(response.body.assigned_at)).not.toBeNaN();
    const detail = await as('alice').get(`/rooms/${roomId}/`);
    expect(detail.body.assignee_id).toBe('sam');
    expect(detail.body.members.map((m: { user_id: string }) => m.user_id)).toEqual(['alice', 'sam']);
    // Listed among sam's rooms, as a join would.
    const mine = await as('sam').get('/rooms/');
    expect(mine.body.results.map((r: { id: string }) => r.id)).toContain(roomId);
  });

  it('gives a room to exactly one of two staff members taking it at once; the other is told who has it', async () => {
    for (let round = 0; round < 5; round++) {
      const roomId = await openRoom();
      const [sam, tess] = await Promise.all([
        assign('sam', roomId, { staff_id: 'sam' }),
        assign('tess', roomId, { staff_id: 'tess' }),
      ]);
      const statuses = [sam.status, tess.status].sort();
      expect(statuses).toEqual([200, 409]);
      const [won, lost] = sam.status === 200 ? [sam, tess] : [tess, sam];
      expect(lost.body).toEqual({
        error: {
          code: 'already_assigned',
          message: 'Someone else has this room now',
          assignee_id: won.body.assignee_id,
        },
      });
      const room = await as('sam').get(`/rooms/${roomId}/`);
      expect(room.body.assignee_id).toBe(won.body.assignee_id);
      // The loser did not join either: only the winner is a member.
      expect(room.body.staff_ids).toEqual([won.body.assignee_id]);
    }
  });

  it('transfers a room to a colleague only from whom the caller says has it', async () => {
    const roomId = await openRoom();
    await assign('sam', roomId, { staff_id: 'sam' });
    const stale = await assign('tess', roomId, { staff_id: 'tess' });
    expect([stale.status, stale.body.error.assignee_id]).toEqual([409, 'sam']);
    // tess is not online and not in the room: sam may still hand it to her once she has joined.
    expect((await as('tess').post(`/rooms/${roomId}/join/`)).status).toBe(200);
    const moved = await assign('sam', roomId, { staff_id: 'tess', expected_assignee_id: 'sam' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ assignee_id: 'tess', staff_ids: ['sam', 'tess'] });
    const again = await assign('sam', roomId, { staff_id: 'sam', expected_assignee_id: 'sam' });
    expect([again.status, again.body.error.assignee_id]).toEqual([409, 'tess']);
  });

  it('unassigns, and asking for what already is changes nothing', async () => {
    const roomId = await openRoom();
    const taken = await assign('sam', roomId, { staff_id: 'sam' });
    const same = await assign('sam', roomId, { staff_id: 'sam' });
    expect([same.status, same.body.version]).toEqual([200, taken.body.version]);
    const unassigned = await assign('tess', roomId, { staff_id: null, expected_assignee_id: 'sam' });
    expect(unassigned.status).toBe(200);
    expect(unassigned.body).toMatchObject({ assignee_id: null, staff_ids: ['sam'] });
    expect(Date.parse(unassigned.body.assigned_at)).toBeGreaterThanOrEqual(
      Date.parse(taken.body.assigned_at),
    );
    const twice = await assign('tess', roomId, { staff_id: null });
    expect([twice.status, twice.body.version]).toEqual([200, unassigned.body.version]);
  });

  it('unassigns a room its assignee leaves, and keeps the assignee of a closed room', async () => {
    const left = await openRoom();
    await assign('sam', left, { staff_id: 'sam' });
    const leave = await as('sam').post(`/rooms/${left}/leave/`);
    expect(leave.status).toBe(200);
    expect(leave.body).toMatchObject({ assignee_id: null, staff_ids: [] });

    const closed = await openRoom();
    await assign('sam', closed, { staff_id: 'sam' });
    const close = await as('alice').post(`/rooms/${closed}/close/`);
    expect(close.body).toMatchObject({ status: 'closed', assignee_id: 'sam' });
    const refused = await assign('tess', closed, { staff_id: 'tess', expected_assignee_id: 'sam' });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'room_closed']);
  });

  it.each([
    ['the room customer', 'alice', 403, 'staff_only'],
    ['another customer', 'carol', 404, 'room_not_found'],
  ] as const)('refuses %s', async (_, who, status, code) => {
    const roomId = await openRoom();
    const response = await assign(who, roomId, { staff_id: 'sam' });
    expect([response.status, response.body.error.code]).toEqual([status, code]);
  });

  it('refuses a guest session at the gateway, as every staff-only route does', async () => {
    const roomId = await openRoom();
    const guest = await stack.current.issuer.mint({ userId: 'guest_x' });
    expect(
      (await api(stack.current, guest).post(`/rooms/${roomId}/assign/`, { staff_id: null })).status,
    ).toBe(401);
  });

  it.each([
    ['no body', undefined, 'invalid_request'],
    ['no staff_id', {}, 'invalid_request'],
    ['a number', { staff_id: 7 }, 'invalid_request'],
    ['an empty id', { staff_id: '' }, 'invalid_request'],
    ['a control character', { staff_id: 'sa\u0000m' }, 'invalid_request'],
    ['a bad expected id', { staff_id: 'sam', expected_assignee_id: 3 }, 'invalid_request'],
    ['somebody nobody knows', { staff_id: 'nobody' }, 'unknown_staff'],
    ['a guest', { staff_id: 'guest_abc' }, 'unknown_staff'],
    ['the customer', { staff_id: 'alice' }, 'unknown_staff'],
  ])('answers 400 for %s', async (_, body, code) => {
    const roomId = await openRoom();
    const response = await assign('sam', roomId, body);
    expect([response.status, response.body.error.code]).toEqual([400, code]);
    expect((await as('sam').get(`/rooms/${roomId}/`)).body.assignee_id).toBeNull();
  });

  it('answers 404 for an unknown room', async () => {
    const response = await assign('sam', '00000000-0000-4000-8000-000000000000', { staff_id: 'sam' });
    expect([response.status, response.body.error.code]).toEqual([404, 'room_not_found']);
  });

  it('gives a room to a colleague who is online, not yet in the room', async () => {
    const roomId = await openRoom();
    const tess = await open('tess');
    const given = await assign('sam', roomId, { staff_id: 'tess' });
    expect(given.body).toMatchObject({ assignee_id: 'tess', staff_ids: ['tess'] });
    await tess.close();
  });

  it("tells the room's followers with a room frame, and the queue with the room's summary", async () => {
    const roomId = await openRoom();
    const customer = await open('alice', { room_id: roomId });
    const console = await queueFollower('tess');
    await stack.current.stream.flush();
    await console.roundTrip();
    const before = console.all('queue').length;

    await assign('sam', roomId, { staff_id: 'sam' });
    const frame = await customer.next('room', (d) => d.event === 'assigned');
    expect(frame.data).toMatchObject({
      event: 'assigned',
      room_id: roomId,
      user_id: 'sam',
      room: { assignee_id: 'sam', staff_ids: ['sam'] },
    });

    await stack.current.stream.flush();
    await console.roundTrip();
    const summaries = console
      .all('queue')
      .slice(before)
      .flatMap((f: Frame) => f.data.rooms as { id: string; assignee_id: string | null }[])
      .filter((room) => room.id === roomId);
    expect(summaries.at(-1)?.assignee_id).toBe('sam');
    await Promise.all([customer.close(), console.close()]);
  });

  it('answers 500 and logs at ERROR when the count fails after the write; asking again counts it', async () => {
    const roomId = await openRoom();
    const logs = captureLogs();
    const load = keys.staffLoad('sam').pk;
    const failed = stack.current.dynamo.injectFault({
      match: (operation, request) => operation === 'UpdateItem' && JSON.stringify(request).includes(load),
      type: 'AccessDeniedException',
    });
    const first = await assign('sam', roomId, { staff_id: 'sam' });
    await failed;
    expect([first.status, first.body.error.code]).toEqual([500, 'internal_error']);
    expect(logs().filter((line) => line.level === 'ERROR')).toEqual([
      expect.objectContaining({ message: 'Unhandled error' }),
    ]);
    const again = await assign('sam', roomId, { staff_id: 'sam' });
    expect([again.status, again.body.assignee_id]).toEqual([200, 'sam']);
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.current.dynamo.endpoint }));
    const { Item } = await db.send(
      new GetCommand({
        TableName: stack.current.tableName,
        Key: keys.staffLoad('sam'),
        ConsistentRead: true,
      }),
    );
    expect([...(Item?.rooms ?? [])]).toContain(roomId);
  });
});
