import { describe, expect, it } from 'vitest';
import type { Message, Role, Room } from '../../client/wire.js';
import { Conversation } from '../../web/shared/chat.js';

const room: Room = {
  id: 'r1',
  room_type: 'general',
  subject: 's',
  status: 'open',
  customer_id: 'alice',
  staff_ids: ['sam', 'bob'],
  created_at: '2025-01-01T00:00:00.000Z',
  last_activity_at: '2025-01-01T00:00:00.000Z',
  closed_at: null,
  closed_by: null,
  last_message_id: 0,
  last_message: null,
  unread_count: 0,
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
