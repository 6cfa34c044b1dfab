import { describe, expect, it } from 'vitest';
import type { Message, Role, Room } from '../../client/wire.js';
import { alertForChange, alertForNewRoom, attentionCount } from '../../web/console/attention.js';
import { Conversation } from '../../web/shared/chat.js';
import { unreadOf } from '../../web/shared/unread.js';

const message = (id: number, sender_role: Role, sender_id = sender_role === 'staff' ? 'kim' : 'alice') =>
  ({
    id,
    room_id: 'r1',
    sender_id,
    sender_role,
    content: `m${id}`,
    created_at: '2026-01-01T00:00:00.000Z',
    client_message_id: null,
  }) satisfies Message;

const room = (overrides: Partial<Room> = {}): Room => ({
  id: 'r1',
  room_type: 'general',
  subject: 'Help',
  status: 'open',
  customer_id: 'alice',
  customer_name: 'Alice',
  staff_ids: [],
  created_at: '2026-01-01T00:00:00.000Z',
  last_activity_at: '2026-01-01T00:00:00.000Z',
  closed_at: null,
  closed_by: null,
  last_message_id: 0,
  last_message: null,
  assignee_id: null,
  assigned_at: null,
  unread_count: 0,
  version: 1,
  ...overrides,
});

// Messages 1-6: customer, staff (Kim), customer, staff, customer, customer.
const history = [
  message(1, 'customer'),
  message(2, 'staff'),
  message(3, 'customer'),
  message(4, 'staff'),
  message(5, 'customer'),
  message(6, 'customer'),
];

describe('unreadOf', () => {
  it.each([
    ['the server’s count as it is', 4, 2, [], { lastMessageId: 4, lastRead: 2, count: 1 }, 1],
    ['nothing once I read the newest', 6, 6, history, { lastMessageId: 4, lastRead: 2, count: 1 }, 0],
    [
      'the server’s count and the customer messages that came since',
      6,
      2,
      history,
      { lastMessageId: 4, lastRead: 2, count: 1 },
      3,
    ],
    [
      'staff messages that came since not at all',
      4,
      2,
      history.slice(0, 4),
      { lastMessageId: 3, lastRead: 2, count: 1 },
      1,
    ],
    [
      'what is left of the count after my read, from the messages held',
      6,
      3,
      history,
      { lastMessageId: 6, lastRead: 2, count: 3 },
      2,
    ],
    [
      'at most the messages left after my read, without them',
      6,
      5,
      [],
      { lastMessageId: 6, lastRead: 2, count: 3 },
      1,
    ],
    ['the messages held, without a count', 6, 1, history, null, 3],
  ] as const)('gives staff %s', (_, lastMessageId, lastRead, messages, snapshot, expected) => {
    expect(unreadOf({ lastMessageId, lastRead, myRole: 'staff', messages, snapshot })).toBe(expected);
  });

  it('gives the customer the staff messages only', () => {
    expect(
      unreadOf({ lastMessageId: 6, lastRead: 1, myRole: 'customer', messages: history, snapshot: null }),
    ).toBe(2);
  });
});

describe('a staff Conversation', () => {
  it('does not count a colleague’s reply, live or from a summary', () => {
    const c = new Conversation(room({ last_message_id: 1, unread_count: 1 }), 'sam', 'staff');
    expect(c.unread.value).toBe(1);
    c.add([message(2, 'staff', 'kim')]);
    expect(c.unread.value).toBe(1);
    c.add([message(3, 'customer')]);
    expect(c.unread.value).toBe(2);
    // The server counted the same: the customer's two messages; a summary of it changes nothing.
    c.update(room({ last_message_id: 3, unread_count: 2, version: 5 }), true);
    expect(c.unread.value).toBe(2);
    c.read('sam', 'staff', 3);
    expect(c.unread.value).toBe(0);
  });
});

describe('attention', () => {
  const mine = room({ id: 'a', staff_ids: ['sam'] });
  const assigned = room({ id: 'b', assignee_id: 'sam', staff_ids: ['sam'] });
  const colleagues = room({ id: 'c', staff_ids: ['kim'] });
  const waiting = room({ id: 'd' });
  const closed = room({ id: 'e', status: 'closed', staff_ids: ['sam'] });

  it('counts unread customer messages in my rooms, plus each new room nobody has, once', () => {
    const count = attentionCount(
      [
        { room: mine, unread: 2 },
        { room: assigned, unread: 1 },
        { room: colleagues, unread: 7 },
        { room: waiting, unread: 3 },
        { room: closed, unread: 4 },
      ],
      'sam',
    );
    expect(count).toBe(2 + 1 + 1);
  });

  const preview = (role: Role) => ({
    id: 2,
    sender_id: 'x',
    sender_role: role,
    preview: 'hi',
    created_at: '',
  });
  it.each([
    ['a customer message in my room', mine, 'customer', 'customer_message'],
    [
      'a customer message in a room assigned to me',
      room({ assignee_id: 'sam' }),
      'customer',
      'customer_message',
    ],
    ['a staff message in my room', mine, 'staff', null],
    ['a customer message in a colleague’s room', colleagues, 'customer', null],
    ['a further customer message in a new room', waiting, 'customer', null],
  ] as const)('rings for %s: %s', (_, before, role, expected) => {
    const after = { ...before, last_message_id: 2, last_message: preview(role), version: 2 };
    expect(alertForChange({ ...before, last_message_id: 1 }, after, 'sam')?.kind ?? null).toBe(expected);
  });

  it('rings for a new room opened since the page started (nobody’s, or assigned to me), not for an old one', () => {
    const started = Date.parse('2026-01-01T12:00:00.000Z');
    expect(alertForNewRoom(room({ created_at: '2026-01-01T12:00:05.000Z' }), started, 'sam')?.kind).toBe(
      'new_room',
    );
    expect(alertForNewRoom(room({ created_at: '2026-01-01T09:00:00.000Z' }), started, 'sam')).toBeNull();
    const fresh = '2026-01-01T12:00:05.000Z';
    expect(alertForNewRoom(room({ created_at: fresh, staff_ids: ['kim'] }), started, 'sam')).toBeNull();
    expect(alertForNewRoom(room({ created_at: fresh, assignee_id: 'sam' }), started, 'sam')?.kind).toBe(
      'new_room',
    );
    expect(alertForNewRoom(room({ created_at: fresh, assignee_id: 'kim' }), started, 'sam')).toBeNull();
  });
});
