import { describe, expect, it } from 'vitest';
import { useCast, useLocalStack } from '../support/stack.js';

// The stream's batches are cut only by a flush (none here): only the HTTP answers are read.
const stack = useLocalStack({ stream: { batchWindowMs: 'manual' } });
const { as, openRoom } = useCast(stack);

async function unreadOf(who: 'alice' | 'sam' | 'tess', roomId: string): Promise<number> {
  const response = await as(who).get(`/rooms/${roomId}/`);
  expect(response.status).toBe(200);
  return response.body.unread_count;
}

const send = async (who: 'alice' | 'sam' | 'tess', roomId: string, content: string) =>
  expect((await as(who).post(`/rooms/${roomId}/send_message/`, { content })).status).toBe(201);

describe('unread_count over HTTP', () => {
  it('counts the customer’s messages for staff and support’s for the customer', async () => {
    const room = await openRoom();
    await send('alice', room, 'my parcel is late');
    await send('alice', room, 'order 1234');
    expect((await as('sam').post(`/rooms/${room}/join/`)).status).toBe(200);
    await send('sam', room, 'let me check');
    // Tess helps: her reply joins her, and it is not news to Sam.
    await send('tess', room, 'it left the depot');
    expect([
      await unreadOf('sam', room),
      await unreadOf('tess', room),
      await unreadOf('alice', room),
    ]).toEqual([0, 0, 2]);
    const queue = await as('sam').get('/active-rooms/');
    expect(queue.body.results.find((r: { id: string }) => r.id === room)?.unread_count).toBe(0);

    // Alice reads Sam's reply only: Tess's is left.
    const read = await as('alice').post(`/rooms/${room}/mark_read/`, { message_id: 3 });
    expect(read.body).toMatchObject({ last_read: 3, unread_count: 1 });
    await send('alice', room, 'thanks!');
    expect([
      await unreadOf('sam', room),
      await unreadOf('tess', room),
      await unreadOf('alice', room),
    ]).toEqual([1, 1, 0]);
    // Sam reads up to Tess's reply (an older id than the newest): Alice's thanks is still unread for him.
    const older = await as('sam').post(`/rooms/${room}/mark_read/`, { message_id: 4 });
    expect(older.body).toMatchObject({ last_read: 4, unread_count: 1 });
    const newest = await as('sam').post(`/rooms/${room}/mark_read/`, {});
    expect(newest.body).toMatchObject({ last_read: 5, unread_count: 0 });
    expect(await unreadOf('tess', room)).toBe(1);
  });
});
