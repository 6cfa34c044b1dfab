import { beforeEach, describe, expect, it } from 'vitest';
import type { ChatDeps } from '../../lambdas/domain/chat.js';
import { listClosedRooms, listCustomerHistory } from '../../lambdas/domain/history.js';
import type { Actor } from '../../lambdas/domain/types.js';
import { DynamoMeter } from '../../lambdas/storage/client.js';
import { sampleRoom, useTable } from '../support/table.js';

// What a page of past conversations costs, over the real store (dynalite).
const SHARDS = 4;
const meter = new DynamoMeter();
const table = useTable('history-test', { store: { openRoomShards: SHARDS }, meter });
const deps = (): ChatDeps => ({ store: table.store });
beforeEach(() => meter.take());

const sam: Actor = { userId: 'sam', role: 'staff' };
const iso = (minute: number) => new Date(Date.UTC(2026, 4, 1, 9, minute)).toISOString();

describe('Past conversations', () => {
  it('reads a page of closed rooms with a Query per shard and two batches, whatever the page holds', async () => {
    await table.store.putSelfAssertedProfile('sam', { name: 'Sam Agent' }, iso(0));
    await table.store.putSelfAssertedProfile('tess', { name: 'Tess' }, iso(0));
    for (let i = 0; i < 12; i++) {
      const room = sampleRoom({ customerId: `customer-${i}`, createdAt: iso(0), lastActivityAt: iso(0) });
      await table.store.createRoom(room);
      await table.store.closeRoom(
        room.id,
        i % 3 === 0 ? 'sam' : i % 3 === 1 ? 'tess' : room.customerId,
        iso(i + 1),
      );
    }
    meter.take();
    const page = await listClosedRooms(deps(), sam, { limit: 10 });
    expect(page.items).toHaveLength(10);
    expect(page.items[0]?.closedAt).toBe(iso(12));
    // The shards' entries, the rooms in one batch, the closers' profiles in one more.
    expect(meter.take().calls).toEqual({ Query: SHARDS, BatchGetItem: 2 });
    expect(page.closers.get('sam')).toBe('Sam Agent');
    expect(page.closers.get('tess')).toBe('Tess');
    expect(page.closers.get('customer-2')).toBeNull();
  });

  it('reads a customer’s rooms with one Query and the same two batches', async () => {
    for (let i = 0; i < 3; i++) {
      const room = sampleRoom({ customerId: 'ruth', createdAt: iso(20 + i), lastActivityAt: iso(20 + i) });
      await table.store.createRoom(room);
      if (i < 2) await table.store.closeRoom(room.id, 'sam', iso(30 + i));
    }
    meter.take();
    const page = await listCustomerHistory(deps(), sam, 'ruth', { limit: 20 });
    expect(page.items.map((room) => [room.status, room.createdAt])).toEqual([
      ['open', iso(22)],
      ['closed', iso(21)],
      ['closed', iso(20)],
    ]);
    expect(meter.take().calls).toEqual({ Query: 1, BatchGetItem: 2 });
  });

  it('refuses customers with 403 staff_only before reading anything', async () => {
    const alice: Actor = { userId: 'alice', role: 'customer' };
    await expect(listClosedRooms(deps(), alice, { limit: 5 })).rejects.toMatchObject({
      status: 403,
      code: 'staff_only',
    });
    await expect(listCustomerHistory(deps(), alice, 'alice', { limit: 5 })).rejects.toMatchObject({
      status: 403,
      code: 'staff_only',
    });
    expect(meter.take().calls).toEqual({});
  });
});
