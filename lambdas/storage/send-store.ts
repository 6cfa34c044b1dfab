import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AppendMessageInput, AppendResult, ChatStore } from '../domain/ports.js';
import type { Message, Room } from '../domain/types.js';
import { messageItem, preview, shardOfRoom, toMessage, toRoom, toStringArray } from './items.js';
import { keys } from './keys.js';
import type { RoomStore } from './room-store.js';
import { conditionFailed, type Item, type Table } from './table.js';

/**
 * Sends: taking a room's next sequence number, the claim that makes a send with a `client_message_id`
 * idempotent, and storing the message once.
 */
export class SendStore implements Pick<ChatStore, 'appendMessage'> {
  constructor(
    private readonly table: Table,
    /** A staff member who replies joins the room; their membership is the room store's. */
    private readonly rooms: Pick<RoomStore, 'putMember'>,
    /** Partitions of the open-rooms index. */
    private readonly shards: number,
    /** How long a client_message_id claim is kept, in seconds. */
    private readonly claimLifetime: number,
  ) {}

  /**
   * Appends a message: one conditional UpdateItem takes the room's next sequence number (and refuses a closed
   * room or another customer's room in the same step), one conditional PutItem stores the message. With a
   * client_message_id, a claim item makes the send idempotent: a resend finds the claim and gets the stored
   * message back; two copies racing each other cannot both store a message.
   */
  async appendMessage(input: AppendMessageInput): Promise<AppendResult> {
    const { roomId, sender, clientMessageId } = input;
    if (clientMessageId !== null) {
      const earlier = await this.findClaimedMessage(input);
      if (earlier) return earlier;
    }

    const isStaff = sender.role === 'staff';
    let old: Item;
    try {
      const { Attributes } = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.room(roomId),
          UpdateExpression:
            [
              'SET seq = seq + :one, #reads.#me = seq + :one, last_activity_at = :at, last_message = :preview',
              'gsi2pk = :shard, gsi2sk = :activity',
            ].join(', ') + (isStaff ? ' ADD staff_ids :me_set' : ''),
          ConditionExpression:
            'attribute_exists(pk) AND #status = :open' +
            (input.ownerId === undefined ? '' : ' AND customer_id = :owner'),
          ExpressionAttributeNames: {
            '#reads': 'reads',
            '#me': keys.reader(sender.userId),
            '#status': 'status',
          },
          ExpressionAttributeValues: {
            ':one': 1,
            ':at': input.createdAt,
            ':open': 'open',
            // Re-states the shard, so a room moves to its shard under a raised OPEN_ROOM_SHARDS on its next message.
            ':shard': keys.openRooms(shardOfRoom(roomId, this.shards)),
            ':activity': keys.timeOrdered(input.createdAt, roomId),
            ':preview': {
              sender_id: sender.userId,
              sender_role: sender.role,
              preview: preview(input.content),
              created_at: input.createdAt,
            },
            ...(isStaff ? { ':me_set': new Set([sender.userId]) } : {}),
            ...(input.ownerId === undefined ? {} : { ':owner': input.ownerId }),
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      old = Attributes as Item;
    } catch (error) {
      const seen = await this.table.itemSeenBy(error, keys.room(roomId));
      if (seen === null || (input.ownerId !== undefined && seen.customer_id !== input.ownerId)) {
        return { kind: 'not_found' };
      }
      return { kind: 'closed' };
    }

    const seq = Number(old.seq) + 1;
    const message: Message = {
      id: seq,
      roomId,
      senderId: sender.userId,
      senderRole: sender.role,
      content: input.content,
      createdAt: input.createdAt,
      clientMessageId,
    };
    if (clientMessageId !== null) {
      try {
        await this.table.db.send(
          new PutCommand({
            TableName: this.table.name,
            Item: {
              ...keys.claim(roomId, sender.userId, clientMessageId),
              seq,
              ttl: this.table.nowSeconds() + this.claimLifetime,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (!conditionFailed(error)) throw error;
        // A copy of this send claimed the id between our check and our claim: it owns the message. The
        // sequence number we took stays unused, the one gap this design allows.
        const earlier = await this.findClaimedMessage(input);
        if (earlier) return earlier;
        throw error;
      }
    }
    const { message: stored } = await this.putMessage(message);

    const oldStaff = toStringArray(old.staff_ids);
    const joinedStaff = isStaff && !oldStaff.includes(sender.userId);
    const oldRoom = toRoom(old);
    const room: Room = {
      ...oldRoom,
      lastMessageId: seq,
      lastActivityAt: input.createdAt,
      staffIds: joinedStaff ? [...oldStaff, sender.userId] : oldStaff,
      reads: new Map(oldRoom.reads).set(sender.userId, seq),
      lastMessage: {
        id: seq,
        senderId: sender.userId,
        senderRole: sender.role,
        preview: preview(input.content),
        createdAt: input.createdAt,
      },
    };
    if (joinedStaff) await this.rooms.putMember(roomId, sender.userId, input.createdAt);
    return { kind: 'created', message: stored, joinedStaff, room };
  }

  /** The message a claim points to; completes it if the send that claimed it died before storing it. */
  private async findClaimedMessage(input: AppendMessageInput): Promise<AppendResult | null> {
    const { Item: claim } = await this.table.db.send(
      new GetCommand({
        TableName: this.table.name,
        Key: keys.claim(input.roomId, input.sender.userId, input.clientMessageId ?? ''),
        ConsistentRead: true,
      }),
    );
    if (!claim) return null;
    const seq = Number(claim.seq);
    const { Item } = await this.table.db.send(
      new GetCommand({
        TableName: this.table.name,
        Key: keys.message(input.roomId, seq),
        ConsistentRead: true,
      }),
    );
    if (Item) return { kind: 'duplicate', message: toMessage(Item) };
    const stored = await this.putMessage({
      id: seq,
      roomId: input.roomId,
      senderId: input.sender.userId,
      senderRole: input.sender.role,
      content: input.content,
      createdAt: input.createdAt,
      clientMessageId: input.clientMessageId,
    });
    return stored.wrote
      ? { kind: 'completed', message: stored.message }
      : { kind: 'duplicate', message: stored.message };
  }

  /** Stores a message once; if its sequence number is already taken by the same send, returns that. */
  private async putMessage(message: Message): Promise<{ message: Message; wrote: boolean }> {
    try {
      await this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: messageItem(message),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { message, wrote: true };
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      const { Item } = await this.table.db.send(
        new GetCommand({
          TableName: this.table.name,
          Key: keys.message(message.roomId, message.id),
          ConsistentRead: true,
        }),
      );
      if (!Item) throw error;
      return { message: toMessage(Item), wrote: false };
    }
  }
}
