import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/storage/keys.js';
import type { TestSocket } from '../support/socket.js';
import { api, useCast, useLocalStack } from '../support/stack.js';

// New rooms go round the online staff, one open room each at most.
const stack = useLocalStack({
  environment: { AUTO_ASSIGN: 'round-robin:1' },
  stream: { batchWindowMs: 'manual' },
});
const { as, open } = useCast(stack);
const online: TestSocket[] = [];
let customers = 0;

afterAll(async () => {
  await Promise.all(online.map((socket) => socket.close()));
});

/** A room opened by a customer of its own (so no per-customer limit is near). */
async function newRoom(): Promise<{ id: string; assignee_id: string | null }> {
  customers += 1;
  const token = await stack.current.issuer.mint({ userId: `customer-${customers}` });
  const response = await api(stack.current, token).post('/rooms/', { subject: 'Hello' });
  expect(response.status).toBe(201);
  return response.body;
}

const assigneeOf = async (roomId: string) => (await as('sam').get(`/rooms/${roomId}/`)).body.assignee_id;

describe('AUTO_ASSIGN=round-robin:1', () => {
  it('leaves a new room unassigned while no staff member is online', async () => {
    const room = await newRoom();
    expect(room.assignee_id).toBeNull();
    expect(await assigneeOf(room.id)).toBeNull();
  });

  it('costs a new room one Query with nobody online, eight calls more when it is given to someone', async () => {
    stack.current.dynamo.resetStats();
    await newRoom();
    const alone = stack.current.dynamo.stats();
    online.push(await open('sam'));
    const socket = online.at(-1) as TestSocket;
    await socket.roundTrip();
    stack.current.dynamo.resetStats();
    const given = await newRoom();
    expect(given.assignee_id).toBe('sam');
    const assigned = stack.current.dynamo.stats();
    // Nobody online: one Query of staff presence more than a room costs anyway (its profile, its limit, its
    // two items). Someone online: their counts in one batch, the turn, the count, the room's write, the join
    // (member found missing, written, the room read back) and the room's sockets for the frame.
    expect(alone).toEqual({ GetItem: 1, UpdateItem: 1, PutItem: 2, Query: 1 });
    expect(assigned).toEqual({ GetItem: 3, UpdateItem: 4, PutItem: 3, Query: 2, BatchGetItem: 1 });
    // Free sam again for the tests below.
    await as('sam').post(`/rooms/${given.id}/close/`);
    await online.pop()?.close();
  });

  it('gives new rooms in turn to the online staff, at most one each; the rest wait unassigned', async () => {
    online.push(await open('sam'), await open('tess'));
    const first = await newRoom();
    const second = await newRoom();
    const third = await newRoom();
    expect([first.assignee_id, second.assignee_id].sort()).toEqual(['sam', 'tess']);
    expect(third.assignee_id).toBeNull();
    // Stored as answered, and the assignee is a member, as after a join.
    const detail = (await as('sam').get(`/rooms/${first.id}/`)).body;
    expect(detail).toMatchObject({ assignee_id: first.assignee_id, staff_ids: [first.assignee_id] });

    // A closed room no longer counts: its assignee gets the next one.
    expect((await as('sam').post(`/rooms/${first.id}/close/`)).status).toBe(200);
    expect((await newRoom()).assignee_id).toBe(first.assignee_id);
    // Unassigning (or a transfer) frees a place too.
    const unassigned = await as('sam').post(`/rooms/${second.id}/assign/`, {
      staff_id: null,
      expected_assignee_id: second.assignee_id,
    });
    expect(unassigned.status).toBe(200);
    expect((await newRoom()).assignee_id).toBe(second.assignee_id);
  });

  it('never takes anyone past the cap when rooms are opened at once', async () => {
    // Free everyone: each has one room; close them all.
    const mine = await Promise.all(
      (['sam', 'tess'] as const).map(async (who) => (await as(who).get('/rooms/')).body.results),
    );
    for (const room of mine.flat()) await as('sam').post(`/rooms/${room.id}/close/`);
    const rooms = await Promise.all([newRoom(), newRoom(), newRoom(), newRoom()]);
    const assignees = rooms.map((room) => room.assignee_id).filter((id) => id !== null);
    expect(assignees.sort()).toEqual(['sam', 'tess']);
  });

  it('checks a count that stayed too high against the rooms themselves', async () => {
    for (const who of ['sam', 'tess'] as const) {
      for (const room of (await as(who).get('/rooms/')).body.results)
        await as('sam').post(`/rooms/${room.id}/close/`);
    }
    // Rooms counted for both that are not theirs (a close whose count update failed, say): both look full.
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.current.dynamo.endpoint }));
    for (const who of ['sam', 'tess']) {
      await db.send(
        new UpdateCommand({
          TableName: stack.current.tableName,
          Key: keys.staffLoad(who),
          UpdateExpression: 'SET staff_id = :who ADD rooms :stale',
          ExpressionAttributeValues: {
            ':who': who,
            ':stale': new Set([`00000000-0000-4000-8000-${who}00dead`]),
          },
        }),
      );
    }
    const room = await newRoom();
    expect(['sam', 'tess']).toContain(room.assignee_id);
    const loads = await db.send(
      new BatchGetCommand({
        RequestItems: {
          [stack.current.tableName]: { Keys: [keys.staffLoad('sam'), keys.staffLoad('tess')] },
        },
      }),
    );
    const counted = (loads.Responses?.[stack.current.tableName] ?? []).flatMap((item) => [
      ...(item.rooms ?? []),
    ]);
    expect(counted).toEqual([room.id]);
  });
});
