import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Role } from '../../../lambdas/domain/types.js';
import { roomItem } from '../../../lambdas/storage/items.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { notifyChangesOf } from '../../../lambdas/storage/notify-changes.js';
import { sampleRoom } from '../../support/table.js';

// What a batch of the table's stream asks of the notifications: new rooms, and rooms whose newest message is
// a new staff message. Records are built from the items storage writes, marshalled as Streams carries them.

const ROOM = sampleRoom();

/** The room item after `seq` messages, the newest sent by `role` (none for 0). */
function roomAt(seq: number, role: Role = 'staff', extra: Record<string, unknown> = {}) {
  const item = roomItem({ ...ROOM, lastMessageId: seq, version: seq + 1 }, {});
  return {
    ...item,
    ...(seq > 0
      ? {
          last_message: {
            sender_id: role === 'staff' ? 'sam' : ROOM.customerId,
            sender_role: role,
            preview: 'hi',
            created_at: ROOM.createdAt,
          },
        }
      : {}),
    ...extra,
  };
}

const marshalled = (item: Record<string, unknown>) =>
  marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false }) as never;

function record(
  eventName: 'INSERT' | 'MODIFY',
  item: Record<string, unknown>,
  old?: Record<string, unknown>,
): DynamoDBRecord {
  return {
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
      NewImage: marshalled(item),
      ...(old ? { OldImage: marshalled(old) } : {}),
    },
  };
}

const ids = (rooms: readonly { id: string }[]) => rooms.map((room) => room.id);

describe('notifyChangesOf', () => {
  it('reads a room item inserted as a new room', () => {
    const changes = notifyChangesOf([record('INSERT', roomAt(0))]);
    expect(ids(changes.newRooms)).toEqual([ROOM.id]);
    expect(changes.staffReplies).toEqual([]);
  });

  it.each([
    ['a staff message', [[0, 1, 'staff']], true],
    ['a customer message', [[0, 1, 'customer']], false],
    [
      'two staff messages in one batch: once',
      [
        [0, 1, 'staff'],
        [1, 2, 'staff'],
      ],
      true,
    ],
    [
      'a staff message the customer answered in the same batch',
      [
        [0, 1, 'staff'],
        [1, 2, 'customer'],
      ],
      false,
    ],
    ['a change that is no new message (a read, a join, typing, a note)', [[3, 3, 'staff']], false],
  ] as const)('takes %s as a staff reply: %s', (_, steps, reply) => {
    const records = steps.map(([from, to, role]) =>
      record('MODIFY', roomAt(to, role), roomAt(from, 'staff')),
    );
    const changes = notifyChangesOf(records);
    expect(ids(changes.staffReplies)).toEqual(reply ? [ROOM.id] : []);
    expect(changes.newRooms).toEqual([]);
    if (reply) expect(changes.staffReplies[0]?.lastMessageId).toBe(steps.at(-1)?.[1]);
  });

  it('skips every item that is not a room item', () => {
    const message = { ...keys.message(ROOM.id, 1), type: 'message', sender_role: 'staff' };
    const window = { ...keys.replyEmail(ROOM.id), until: 1 };
    const changes = notifyChangesOf([record('INSERT', message), record('INSERT', window)]);
    expect(changes).toEqual({ newRooms: [], staffReplies: [] });
  });
});
