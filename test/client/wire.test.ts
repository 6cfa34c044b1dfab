import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  AckData,
  Message,
  MessagePage,
  OnlineStaffMember,
  OnlineStaffPage,
  PresenceData,
  QueueData,
  QueueEventData,
  ReadReceiptData,
  Room,
  RoomDetail,
  RoomEventName,
  RoomSummary,
  SupportStatus,
  TypingData,
} from '../../client/wire.js';
import type { RoomEvent } from '../../lambdas/domain/ports.js';
import type { Message as DomainMessage, Room as DomainRoom } from '../../lambdas/domain/types.js';
import { frames } from '../../lambdas/protocol/frames.js';
import type {
  MessageJson,
  messagePageJson,
  onlineStaffJson,
  queueSummaryJson,
  roomDetailJson,
  roomJson,
  supportStatusJson,
} from '../../lambdas/protocol/json.js';

// The client's wire types are written out for readers of the client; these checks keep them equal to what
// the server's serializers produce, field by field, at compile time (tsc covers tests).
describe('client wire types', () => {
  it('name exactly the fields the server serializes', () => {
    expectTypeOf<keyof Message>().toEqualTypeOf<keyof MessageJson>();
    expectTypeOf<Message>().toExtend<MessageJson>();
    expectTypeOf<keyof Room>().toEqualTypeOf<keyof ReturnType<typeof roomJson>>();
    expectTypeOf<ReturnType<typeof roomJson>>().toExtend<Room>();
    expectTypeOf<ReturnType<typeof roomDetailJson>>().toExtend<RoomDetail>();
    expectTypeOf<ReturnType<typeof messagePageJson>['results'][number]>().toExtend<{ id: number }>();
    expectTypeOf<keyof MessagePage>().toEqualTypeOf<keyof ReturnType<typeof messagePageJson>>();
    expectTypeOf<ReturnType<typeof onlineStaffJson>['results'][number]>().toExtend<OnlineStaffMember>();
    expectTypeOf<keyof OnlineStaffPage>().toEqualTypeOf<keyof ReturnType<typeof onlineStaffJson>>();
    expectTypeOf<ReturnType<typeof supportStatusJson>>().toExtend<SupportStatus>();
    expectTypeOf<keyof SupportStatus>().toEqualTypeOf<keyof ReturnType<typeof supportStatusJson>>();
    expectTypeOf<RoomEvent | 'subscribed'>().toEqualTypeOf<RoomEventName>();
    expectTypeOf<keyof RoomSummary>().toEqualTypeOf<keyof ReturnType<typeof queueSummaryJson>>();
    expectTypeOf<ReturnType<typeof queueSummaryJson>>().toExtend<RoomSummary>();
    expectTypeOf<{ rooms: ReturnType<typeof queueSummaryJson>[] }>().toExtend<QueueData>();
  });

  const actor = { userId: 'sam', role: 'staff' } as const;
  const message: DomainMessage = {
    id: 7,
    roomId: 'r',
    senderId: 'sam',
    senderRole: 'staff',
    content: 'hi',
    createdAt: '2026-01-01T00:00:00.000Z',
    clientMessageId: 'c-1',
  };
  const keys = (value: object) => Object.keys(value).sort();

  it.each([
    [
      'ack',
      frames.ack(message, true).data,
      { client_message_id: '', duplicate: true, message: {} } satisfies Record<keyof AckData, unknown>,
    ],
    [
      'typing',
      frames.typing('r', actor, true).data,
      { room_id: '', user_id: '', role: '', is_typing: true } satisfies Record<keyof TypingData, unknown>,
    ],
    [
      'read_receipt',
      frames.readReceipt('r', actor, 7, 'now').data,
      { room_id: '', user_id: '', role: '', message_id: 0, read_at: '' } satisfies Record<
        keyof ReadReceiptData,
        unknown
      >,
    ],
    [
      'presence',
      frames.presence(actor, { isOnline: true, version: 3, at: 0 }).data,
      { user_id: '', role: '', is_online: true, version: 0, at: '' } satisfies Record<
        keyof PresenceData,
        unknown
      >,
    ],
  ])('agree with the server on the fields of a %s frame', (_type, server, client) => {
    expect(keys(server)).toEqual(keys(client));
  });

  it('agree on the room frame', () => {
    const room = { id: 'r', reads: {}, staffIds: [], lastMessage: null } as unknown as DomainRoom;
    const data = frames.room('subscribed', { ...room, unreadCount: 0 }, 'sam').data;
    expect(keys(data)).toEqual(['event', 'room', 'room_id', 'user_id']);
  });

  it('agree on the staff queue frame', () => {
    const data = frames.queue('subscribed', 'sam').data;
    expect(keys(data)).toEqual(
      keys({ event: '', queue: true, user_id: '' } satisfies Record<keyof QueueEventData, unknown>),
    );
    expect(data).toEqual({ event: 'subscribed', queue: true, user_id: 'sam' } satisfies QueueEventData);
  });
});
