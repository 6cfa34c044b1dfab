import { describe, expect, it } from 'vitest';
import { keys } from '../../lambdas/storage/keys.js';
import type { TestSocket } from '../support/socket.js';
import { useCast, useLocalStack } from '../support/stack.js';

// The staff queue on a stream of several shards: each shard is read in its own batches, so a console gets up
// to one queue frame per shard that has changes, per window. Batches are cut only by a flush.
const SHARDS = 4;
const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: SHARDS } });
const { as, open, openRoom } = useCast(stack);

async function queueFollower(): Promise<TestSocket> {
  const socket = await open('tess');
  socket.send({ type: 'subscribe', queue: true });
  await socket.next('room', (d) => d.queue && d.event === 'subscribed');
  return socket;
}

/** The shard a room's item (and so its summaries) is in. */
const shardOf = (roomId: string) => {
  const { pk, sk } = keys.room(roomId);
  return stack.current.stream.shardIdFor({ pk: { S: pk }, sk: { S: sk } });
};

describe('the staff queue over several stream shards', () => {
  it('sends one frame per shard with changes, each room in its own shard’s frame, every room once', async () => {
    const console = await queueFollower();
    const rooms = await Promise.all(Array.from({ length: 12 }, () => openRoom()));
    await stack.current.stream.flush();
    await console.roundTrip();
    const shards = new Set(rooms.map(shardOf));
    expect(shards.size).toBeGreaterThan(1);

    const before = console.all('queue').length;
    for (const room of rooms) await as('alice').post(`/rooms/${room}/send_message/`, { content: 'hi' });
    await stack.current.stream.flush();
    await console.roundTrip();
    const batch = console.all('queue').slice(before);
    expect(batch).toHaveLength(shards.size);
    const seen = batch.flatMap((frame) => frame.data.rooms as { id: string; last_message_id: number }[]);
    expect(seen.map((room) => room.id).sort()).toEqual([...rooms].sort());
    expect(seen.every((room) => room.last_message_id === 1)).toBe(true);
    for (const frame of batch) {
      expect(new Set(frame.data.rooms.map((room: { id: string }) => shardOf(room.id))).size).toBe(1);
    }
    await console.close();
  });
});
