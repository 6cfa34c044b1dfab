import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Room } from '../../../lambdas/domain/types.js';
import { roomItem } from '../../../lambdas/storage/items.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { roomChangesOf } from '../../../lambdas/storage/stream-changes.js';

// How a batch of the table's stream reads as room changes. Records are built from the items storage writes,
// marshalled as DynamoDB Streams carries them.

const room = (id: string, lastMessageId: number, reads: [string, number][] = []): Room => ({
  id,
  roomType: 'support',
  subject: 'Help',
  status: 'open',
  customerId: 'cust-1',
  // On the room item, so a summary carries the customer's name (and a rename reaches the queue by the stream).
  customerName: 'Ada Lovelace',
  staffIds: ['staff-1'],
  createdAt: '2026-12-01T10:00:00.000Z',
  lastActivityAt: '2026-12-01T10:00:00.000Z',
  closedAt: null,
  closedBy: null,
  assigneeId: null,
  assignedAt: null,
  lastMessageId,
  lastMessage: null,
  reads: new Map(reads),
  version: lastMessageId + 1,
});

let sequence = 0;
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', item: Record<string, unknown>): DynamoDBRecord {
  const image = marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false });
  const keysOnly = marshall({ pk: item.pk, sk: item.sk });
  return {
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: keysOnly as never,
      ...(eventName === 'REMOVE' ? { OldImage: image as never } : { NewImage: image as never }),
      SequenceNumber: String(++sequence),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

describe('roomChangesOf', () => {
  it('keeps the newest image of each room the batch changed', () => {
    const changes = roomChangesOf([
      record('INSERT', roomItem(room('r1', 0), {})),
      record('MODIFY', roomItem(room('r1', 1), {})),
      record('MODIFY', roomItem(room('r2', 7, [['__proto__', 3]]), {})),
      record('MODIFY', roomItem(room('r1', 2, [['cust-1', 2]]), {})),
    ]);
    expect([...changes.rooms.keys()]).toEqual(['r1', 'r2']);
    expect(changes.rooms.get('r1')).toMatchObject({ lastMessageId: 2, reads: new Map([['cust-1', 2]]) });
    // A user id that is an Object.prototype name is an ordinary reader.
    expect(changes.rooms.get('r2')?.reads.get('__proto__')).toBe(3);
  });

  it("reads who is typing, and until when, from the room's own attributes", () => {
    const item = { ...roomItem(room('r1', 1), {}), 'T#alice': 1_000, 'T#x#y': 2_000, 'T#__proto__': 3_000 };
    const changes = roomChangesOf([record('MODIFY', item)]);
    expect(changes.rooms.get('r1')?.typingUntil).toEqual(
      new Map([
        ['alice', 1_000],
        ['x#y', 2_000],
        ['__proto__', 3_000],
      ]),
    );
    expect(roomChangesOf([record('MODIFY', roomItem(room('r2', 1), {}))]).rooms.get('r2')?.typingUntil).toBe(
      undefined,
    );
  });

  it('skips a closed room that stays closed, and keeps the close itself', () => {
    const open = roomItem(room('r1', 3), {});
    const closed = roomItem({ ...room('r1', 3), status: 'closed', closedAt: 'x', closedBy: 'sam' }, {});
    const modify = (before: Record<string, unknown>, after: Record<string, unknown>) => {
      const r = record('MODIFY', after);
      return {
        ...r,
        dynamodb: {
          ...r.dynamodb,
          OldImage: marshall(before, { convertClassInstanceToMap: false }) as never,
        },
      };
    };
    expect(roomChangesOf([modify(open, closed)]).rooms.get('r1')?.status).toBe('closed');
    expect(roomChangesOf([modify(closed, { ...closed, version: 9 })]).rooms.size).toBe(0);
  });

  it('skips every other item, and removals', () => {
    const changes = roomChangesOf([
      record('INSERT', { ...keys.message('r1', 1), id: 1, room_id: 'r1', content: 'hi' }),
      record('INSERT', { ...keys.claim('r1', 'cust-1', 'c-1'), state: 'IN_PROGRESS' }),
      record('INSERT', { ...keys.queueFollower('conn-1'), user_id: 'staff-1' }),
      record('INSERT', { ...keys.member('r1', 'staff-1'), user_id: 'staff-1' }),
      record('REMOVE', roomItem(room('r9', 1), {})),
    ]);
    expect(changes.rooms.size).toBe(0);
  });
});
