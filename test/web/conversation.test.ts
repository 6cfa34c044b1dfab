import { describe, expect, it } from 'vitest';
import type { Message, Role, Room, RoomSummary } from '../../client/wire.js';
import { Conversation } from '../../web/shared/chat.js';

const room: Room = {
  id: 'r1',
  room_type: 'general',
  subject: 's',
  status: 'open',
  customer_id: 'alice',
  customer_name: null,
  staff_ids: ['sam', 'bob'],
  created_at: '2025-01-01T00:00:00.000Z',
  last_activity_at: '2025-01-01T00:00:00.000Z',
  closed_at: null,
  closed_by: null,
  assignee_id: null,
  assigned_at: null,
  last_message_id: 0,
  last_message: null,
  unread_count: 0,
  version: 1,
};

const message = (id: number, sender_id: string, sender_role: Role): Message => ({
  id,
  room_id: 'r1',
  sender_id,
  sender_role,
  content: `m${id}`,
  created_at: '2025-01-01T00:00:00.000Z',
  client_message_id: null,
});

describe('Conversation "Seen"', () => {
  it('for staff, counts the customer’s read pointer, not a colleague’s', () => {
    const c = new Conversation(room, 'sam', 'staff');
    c.add([message(1, 'alice', 'customer'), message(2, 'sam', 'staff')]);
    expect(c.seenUpTo.value).toBe(0);
    // Colleague bob opens the room (a read receipt) and replies: the customer still has not seen 2.
    c.read('bob', 'staff', 2);
    c.add([message(3, 'bob', 'staff')]);
    expect(c.seenUpTo.value).toBe(0);
    c.read('alice', 'customer', 2);
    expect(c.seenUpTo.value).toBe(2);
  });

  it('for the customer, counts anyone from support', () => {
    const c = new Conversation(room, 'alice', 'customer');
    c.add([message(1, 'alice', 'customer'), message(2, 'alice', 'customer')]);
    expect(c.seenUpTo.value).toBe(0);
    c.read('bob', 'staff', 1);
    expect(c.seenUpTo.value).toBe(1);
    c.add([message(3, 'sam', 'staff')]);
    expect(c.seenUpTo.value).toBe(2);
  });
});

describe('Conversation snapshots', () => {
  const summary = (version: number, overrides: Partial<RoomSummary> = {}): RoomSummary => ({
    ...room,
    version,
    reads: {},
    typing: [],
    ...overrides,
  });

  it.each([
    { name: 'a newer snapshot', version: 3, taken: true, staff: ['sam'] },
    { name: 'the same version again', version: 2, taken: false, staff: ['sam', 'bob'] },
    { name: 'an older snapshot (a late answer)', version: 1, taken: false, staff: ['sam', 'bob'] },
  ])('takes $name: $taken', ({ version, taken, staff }) => {
    const c = new Conversation({ ...room, version: 2 }, 'sam', 'staff');
    expect(c.update({ ...room, version, staff_ids: ['sam'] })).toBe(taken);
    expect(c.room.value.staff_ids).toEqual(staff);
  });

  it('keeps the newest message delivered live over a newer snapshot that does not have it yet', () => {
    const c = new Conversation(room, 'sam', 'staff');
    c.add([message(1, 'alice', 'customer')]);
    c.update({ ...room, version: 2, staff_ids: ['sam'] });
    expect(c.room.value).toMatchObject({ version: 2, staff_ids: ['sam'], last_message_id: 1 });
    expect(c.room.value.last_message?.preview).toBe('m1');
  });

  it('takes a summary’s unread count as mine and its read pointers as the members’', () => {
    const c = new Conversation(room, 'sam', 'staff');
    c.summarize(summary(4, { last_message_id: 5, unread_count: 2, reads: { alice: 5, bob: 3, sam: 3 } }));
    expect(c.unread.value).toBe(2);
    expect(c.reads.value).toEqual({
      alice: { role: 'customer', lastRead: 5 },
      bob: { role: 'staff', lastRead: 3 },
    });
    // An older summary moves nothing back.
    c.summarize(summary(3, { last_message_id: 4, unread_count: 4, reads: { alice: 1 } }));
    expect(c.unread.value).toBe(2);
    expect(c.reads.value.alice?.lastRead).toBe(5);
  });

  it('hints typing from the queue’s list, leaving me out', () => {
    const c = new Conversation(room, 'sam', 'staff');
    c.setQueueTyping(['sam']);
    expect(c.typingHint.value).toBe(false);
    c.setQueueTyping(['alice', 'sam']);
    expect(c.queueTyping.value).toEqual(['alice']);
    expect(c.typingHint.value).toBe(true);
    c.setQueueTyping([]);
    expect(c.typingHint.value).toBe(false);
  });
});
