import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BadRequest } from '../domain/errors.js';
import type {
  AppendMessageInput,
  AppendResult,
  ChatStore,
  CloseResult,
  HistoryRequest,
  LiveConnection,
  MarkReadResult,
  MembershipResult,
  PageRequest,
} from '../domain/ports.js';
import type {
  Actor,
  Connection,
  Message,
  MessagePage,
  OnlineUser,
  Page,
  Role,
  Room,
  Subscription,
  Ticket,
} from '../domain/types.js';
import { keys, MAX_SEQ, pad } from './keys.js';

type Item = Record<string, unknown>;

export interface DynamoStoreOptions {
  readonly tableName: string;
  /** Partitions of the open-rooms index. */
  readonly openRoomShards: number;
  /** How long a client_message_id claim is kept, in seconds. @default 7 days */
  readonly claimLifetimeSeconds?: number;
  readonly now?: () => number;
}

const PREVIEW_LENGTH = 140;
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
/** Unprocessed batch items are retried with jittered backoff this many times before the request fails. */
const MAX_BATCH_ATTEMPTS = 8;

/** Whether `error` is a failed condition (as opposed to a fault worth surfacing). */
function conditionFailed(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException;
}

/**
 * The chat table. Owns every key and attribute name; no other module builds a DynamoDB request.
 *
 * Rules it keeps: no Scan, no transactions; a change that must be checked against current state is a single
 * conditional write whose failure reports why (`ReturnValuesOnConditionCheckFailure`); queries follow
 * `LastEvaluatedKey` until the page is full, because DynamoDB stops at 1 MB whatever the limit.
 */
export class DynamoStore implements ChatStore {
  private readonly table: string;
  private readonly shards: number;
  private readonly claimLifetime: number;
  private readonly nowMs: () => number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    options: DynamoStoreOptions,
  ) {
    this.table = options.tableName;
    this.shards = options.openRoomShards;
    this.claimLifetime = options.claimLifetimeSeconds ?? 7 * 24 * 3600;
    this.nowMs = options.now ?? Date.now;
  }

  private nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Rooms

  async createRoom(room: Room): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: this.roomItem(room),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getRoom(roomId: string): Promise<Room | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.room(roomId), ConsistentRead: true }),
    );
    return Item ? toRoom(Item) : null;
  }

  async listCustomerRooms(customerId: string, page: PageRequest): Promise<Page<Room>> {
    const { items, next } = await this.newestFirstInGsi1(keys.customerRooms(customerId), page);
    return { items: items.map(toRoom), nextCursor: next };
  }

  /** Member items of the open rooms the staff member joined, then the rooms themselves in one batch. */
  async listStaffRooms(staffId: string, page: PageRequest): Promise<Page<Room>> {
    const { items, next } = await this.newestFirstInGsi1(keys.staffRooms(staffId), page);
    const rooms = await this.getRooms(items.map((member) => String(member.room_id)));
    return { items: rooms, nextCursor: next };
  }

  private newestFirstInGsi1(partition: string, page: PageRequest) {
    return this.queryPage(
      {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': partition },
        ScanIndexForward: false,
      },
      page,
      (key) => key.gsi1pk === partition,
    );
  }

  /**
   * The open rooms of every shard, merged newest activity first. The cursor is the sort key of the last room
   * returned, which is unique (`time#id`), so each shard resumes strictly after it.
   */
  async listOpenRooms(page: PageRequest): Promise<Page<Room>> {
    const after = page.cursor === undefined ? undefined : decodeOpenRoomsCursor(page.cursor);
    const perShard = await Promise.all(
      Array.from({ length: this.shards }, (_, shard) =>
        this.queryAll(
          {
            IndexName: 'gsi2',
            KeyConditionExpression: after === undefined ? 'gsi2pk = :pk' : 'gsi2pk = :pk AND gsi2sk < :after',
            ExpressionAttributeValues: {
              ':pk': keys.openRooms(shard),
              ...(after === undefined ? {} : { ':after': after }),
            },
            ScanIndexForward: false,
          },
          page.limit + 1,
        ),
      ),
    );
    const merged = perShard.flat().sort((a, b) => String(b.gsi2sk).localeCompare(String(a.gsi2sk)));
    const items = merged.slice(0, page.limit);
    const last = items.at(-1);
    const nextCursor =
      merged.length > page.limit && last ? Buffer.from(String(last.gsi2sk)).toString('base64url') : null;
    return { items: items.map(toRoom), nextCursor };
  }

  async openRoomIdsOf(actor: Actor): Promise<string[]> {
    if (actor.role === 'staff') {
      const members = await this.queryAll({
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.staffRooms(actor.userId) },
      });
      return members.map((member) => String(member.room_id));
    }
    const rooms = await this.queryAll({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      FilterExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pk': keys.customerRooms(actor.userId), ':open': 'open' },
    });
    return rooms.map((room) => String(room.id));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Messages

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
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.room(roomId),
          UpdateExpression:
            [
              'SET seq = seq + :one, #reads.#me = seq + :one, last_activity_at = :at, last_message = :preview',
              'gsi2pk = :shard, gsi2sk = :activity',
            ].join(', ') + (isStaff ? ' ADD staff_ids :me_set' : ''),
          ConditionExpression:
            'attribute_exists(pk) AND #status = :open' +
            (input.ownerId === undefined ? '' : ' AND customer_id = :owner'),
          ExpressionAttributeNames: { '#reads': 'reads', '#me': sender.userId, '#status': 'status' },
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
      const seen = await this.itemSeenBy(error, keys.room(roomId));
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
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              ...keys.claim(roomId, sender.userId, clientMessageId),
              seq,
              ttl: this.nowSeconds() + this.claimLifetime,
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
      reads: { ...oldRoom.reads, [sender.userId]: seq },
      lastMessage: {
        id: seq,
        senderId: sender.userId,
        senderRole: sender.role,
        preview: preview(input.content),
        createdAt: input.createdAt,
      },
    };
    if (joinedStaff) await this.putMember(roomId, sender.userId, input.createdAt);
    return { kind: 'created', message: stored, joinedStaff, room };
  }

  /** The message a claim points to; completes it if the send that claimed it died before storing it. */
  private async findClaimedMessage(input: AppendMessageInput): Promise<AppendResult | null> {
    const { Item: claim } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: keys.claim(input.roomId, input.sender.userId, input.clientMessageId ?? ''),
        ConsistentRead: true,
      }),
    );
    if (!claim) return null;
    const seq = Number(claim.seq);
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.message(input.roomId, seq), ConsistentRead: true }),
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
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: messageItem(message),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { message, wrote: true };
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: keys.message(message.roomId, message.id),
          ConsistentRead: true,
        }),
      );
      if (!Item) throw error;
      return { message: toMessage(Item), wrote: false };
    }
  }

  async listMessages(roomId: string, request: HistoryRequest): Promise<MessagePage> {
    const { limit, before, after } = request;
    const forward = after !== undefined;
    let range: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'>;
    if (after !== undefined) {
      range = {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: {
          ':pk': keys.room(roomId).pk,
          ':lo': keys.message(roomId, Math.min(after + 1, MAX_SEQ)).sk,
          ':hi': keys.message(roomId, MAX_SEQ).sk,
        },
      };
    } else if (before !== undefined) {
      if (before <= 1) return { items: [], hasMore: false };
      range = {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: {
          ':pk': keys.room(roomId).pk,
          ':lo': `${keys.messagePrefix}${pad(1)}`,
          ':hi': keys.message(roomId, Math.min(before - 1, MAX_SEQ)).sk,
        },
      };
    } else {
      range = {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.room(roomId).pk, ':prefix': keys.messagePrefix },
      };
    }
    const items = await this.queryAll({ ...range, ScanIndexForward: forward }, limit + 1);
    const hasMore = items.length > limit;
    const page = items.slice(0, limit).map(toMessage);
    return { items: forward ? page : page.reverse(), hasMore };
  }

  async markRead(
    roomId: string,
    userId: string,
    messageId: number,
    ownerId?: string,
  ): Promise<MarkReadResult> {
    const result = await this.updateRoom(roomId, {
      UpdateExpression: 'SET #reads.#me = :n',
      ConditionExpression:
        'attribute_exists(pk) AND :n <= seq AND (attribute_not_exists(#reads.#me) OR #reads.#me < :n)' +
        (ownerId === undefined ? '' : ' AND customer_id = :owner'),
      ExpressionAttributeNames: { '#reads': 'reads', '#me': userId },
      ExpressionAttributeValues: { ':n': messageId, ...(ownerId === undefined ? {} : { ':owner': ownerId }) },
    });
    if ('room' in result) return { kind: 'updated', room: result.room };
    const { seen } = result;
    if (seen === null || (ownerId !== undefined && seen.customer_id !== ownerId))
      return { kind: 'not_found' };
    if (messageId > Number(seen.seq)) return { kind: 'beyond', lastMessageId: Number(seen.seq) };
    return { kind: 'unchanged', room: toRoom(seen) };
  }

  async addStaff(roomId: string, staffId: string, at: string): Promise<MembershipResult> {
    const result = await this.updateRoom(roomId, {
      UpdateExpression: 'ADD staff_ids :me_set SET #reads.#me = if_not_exists(#reads.#me, :zero)',
      ConditionExpression: 'attribute_exists(pk) AND #status = :open AND NOT contains(staff_ids, :me)',
      ExpressionAttributeNames: { '#reads': 'reads', '#me': staffId, '#status': 'status' },
      ExpressionAttributeValues: {
        ':me_set': new Set([staffId]),
        ':me': staffId,
        ':zero': 0,
        ':open': 'open',
      },
    });
    if ('seen' in result) {
      if (result.seen === null) return { kind: 'not_found' };
      if (result.seen.status !== 'open') return { kind: 'closed' };
      return { kind: 'unchanged', room: toRoom(result.seen) };
    }
    await this.putMember(roomId, staffId, at);
    return { kind: 'changed', room: result.room };
  }

  async removeStaff(roomId: string, staffId: string): Promise<MembershipResult> {
    const result = await this.updateRoom(roomId, {
      UpdateExpression: 'DELETE staff_ids :me_set',
      ConditionExpression: 'attribute_exists(pk) AND contains(staff_ids, :me)',
      ExpressionAttributeValues: { ':me_set': new Set([staffId]), ':me': staffId },
    });
    if ('seen' in result)
      return result.seen === null ? { kind: 'not_found' } : { kind: 'unchanged', room: toRoom(result.seen) };
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: keys.member(roomId, staffId) }));
    return { kind: 'changed', room: result.room };
  }

  async closeRoom(roomId: string, by: string, at: string, ownerId?: string): Promise<CloseResult> {
    const result = await this.updateRoom(roomId, {
      UpdateExpression: 'SET #status = :closed, closed_at = :at, closed_by = :by REMOVE gsi2pk, gsi2sk',
      ConditionExpression:
        'attribute_exists(pk) AND #status = :open' +
        (ownerId === undefined ? '' : ' AND customer_id = :owner'),
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':closed': 'closed',
        ':open': 'open',
        ':at': at,
        ':by': by,
        ...(ownerId === undefined ? {} : { ':owner': ownerId }),
      },
    });
    if ('seen' in result) {
      const { seen } = result;
      if (seen === null || (ownerId !== undefined && seen.customer_id !== ownerId))
        return { kind: 'not_found' };
      return { kind: 'unchanged', room: toRoom(seen) };
    }
    const { room } = result;
    // A closed room leaves its staff members' lists of open rooms.
    await Promise.all(room.staffIds.map((staffId) => this.unlistMember(roomId, staffId)));
    return { kind: 'changed', room };
  }

  /**
   * A conditional update of a room item: the room as it is now, or, when the condition refused the write,
   * the item as the condition saw it (null when there is no such room).
   */
  private async updateRoom(
    roomId: string,
    update: Pick<
      UpdateCommandInput,
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<{ room: Room } | { seen: Item | null }> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          ...update,
          TableName: this.table,
          Key: keys.room(roomId),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { room: toRoom(Attributes as Item) };
    } catch (error) {
      return { seen: await this.itemSeenBy(error, keys.room(roomId)) };
    }
  }

  /**
   * Records a staff member's membership, listed under their open rooms. A close that landed between the room
   * update and this write would have missed the new item, so the room is read back and, if it closed in the
   * meantime, the item leaves the list again.
   */
  private async putMember(roomId: string, staffId: string, at: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...keys.member(roomId, staffId),
          type: 'member',
          room_id: roomId,
          user_id: staffId,
          role: 'staff',
          joined_at: at,
          gsi1pk: keys.staffRooms(staffId),
          gsi1sk: keys.timeOrdered(at, roomId),
        },
      }),
    );
    const room = await this.getRoom(roomId);
    if (room?.status !== 'open') await this.unlistMember(roomId, staffId);
  }

  /** Takes a membership off the staff member's list of open rooms (the item stays, for the record). */
  private async unlistMember(roomId: string, staffId: string): Promise<void> {
    await this.updateIfExists(keys.member(roomId, staffId), { UpdateExpression: 'REMOVE gsi1pk, gsi1sk' });
  }

  /** Updates an item unless it is gone, without creating it: a missing item is not an error here. */
  private async updateIfExists(
    key: Item,
    update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ExpressionAttributeValues'>,
  ): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          ...update,
          TableName: this.table,
          Key: key,
          ConditionExpression: 'attribute_exists(pk)',
        }),
      )
      .catch((error: unknown) => {
        if (!conditionFailed(error)) throw error;
      });
  }

  private async getRooms(roomIds: readonly string[]): Promise<Room[]> {
    const found = new Map<string, Room>();
    for (let i = 0; i < roomIds.length; i += BATCH_GET_LIMIT) {
      let request: Record<string, { Keys: Item[]; ConsistentRead?: boolean }> | undefined = {
        [this.table]: { Keys: roomIds.slice(i, i + BATCH_GET_LIMIT).map((id) => keys.room(id)) },
      };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS)
          throw new Error('BatchGetItem left keys unprocessed after retries');
        if (attempt > 0) await backoff(attempt);
        const result = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.table] ?? []) found.set(String(item.id), toRoom(item));
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return roomIds.flatMap((id) => found.get(id) ?? []);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Connections, subscriptions, presence

  /** The connection, its presence and a subscription per room it starts out following, in one batch. */
  async putConnection(connection: Connection, expiresAt: number): Promise<void> {
    const { connectionId, userId, role, connectedAt, rooms } = connection;
    const puts: Item[] = [
      {
        ...keys.connection(connectionId),
        type: 'connection',
        connection_id: connectionId,
        user_id: userId,
        role,
        connected_at: connectedAt,
        ...(rooms.length > 0 ? { rooms: new Set(rooms) } : {}),
        ttl: expiresAt,
      },
      {
        ...keys.presence(role, userId, connectionId),
        type: 'presence',
        connection_id: connectionId,
        user_id: userId,
        role,
        connected_at: connectedAt,
        ttl: expiresAt,
      },
      ...rooms.map((roomId) =>
        subscriptionItem({ roomId, connectionId, userId, role, connectedAt }, expiresAt),
      ),
    ];
    await this.batchWrite(puts.map((Item) => ({ PutRequest: { Item } })));
  }

  async deleteConnection(connectionId: string): Promise<Connection | null> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({
        TableName: this.table,
        Key: keys.connection(connectionId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!Attributes) return null;
    const connection = toConnection(Attributes);
    await this.batchWrite([
      { DeleteRequest: { Key: keys.presence(connection.role, connection.userId, connectionId) } },
      ...connection.rooms.map((roomId) => ({
        DeleteRequest: { Key: keys.subscription(roomId, connectionId) },
      })),
      ...(connection.followsQueue ? [{ DeleteRequest: { Key: keys.queueFollower(connectionId) } }] : []),
    ]);
    return connection;
  }

  async addSubscription(subscription: Subscription, expiresAt: number): Promise<void> {
    await this.attachToConnection(subscriptionItem(subscription, expiresAt), subscription.connectionId, {
      UpdateExpression: 'ADD rooms :room',
      ExpressionAttributeValues: { ':room': new Set([subscription.roomId]) },
    });
  }

  async removeSubscription(roomId: string, connectionId: string): Promise<void> {
    await this.detachFromConnection(keys.subscription(roomId, connectionId), connectionId, {
      UpdateExpression: 'DELETE rooms :room',
      ExpressionAttributeValues: { ':room': new Set([roomId]) },
    });
  }

  async addQueueFollower(subscription: Subscription, expiresAt: number): Promise<void> {
    const item = {
      ...subscriptionItem(subscription, expiresAt),
      ...keys.queueFollower(subscription.connectionId),
      type: 'queue',
    };
    await this.attachToConnection(item, subscription.connectionId, {
      UpdateExpression: 'SET follows_queue = :yes',
      ExpressionAttributeValues: { ':yes': true },
    });
  }

  async removeQueueFollower(connectionId: string): Promise<void> {
    await this.detachFromConnection(keys.queueFollower(connectionId), connectionId, {
      UpdateExpression: 'REMOVE follows_queue',
    });
  }

  async queueFollowers(): Promise<Subscription[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':pk': keys.queueFollowers, ':now': this.nowSeconds() },
      // Eventually consistent (half the price, on every message): a console that has just followed the
      // queue reloads it over HTTP anyway.
    });
    return items.map((item) => toSubscription({ ...item, room_id: '' }));
  }

  /**
   * Writes what a socket follows (a subscription, the queue), then records it on the connection item, which
   * must still exist: whoever deletes the connection then finds it, and a connection that went away in
   * between gets nothing (the item is taken back).
   */
  private async attachToConnection(
    item: Item,
    connectionId: string,
    update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ExpressionAttributeValues'>,
  ): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: item }));
    try {
      await this.db.send(
        new UpdateCommand({
          ...update,
          TableName: this.table,
          Key: keys.connection(connectionId),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: item.pk, sk: item.sk } }));
      throw error;
    }
  }

  /** Deletes what a socket followed, and its record on the connection item if that still exists. */
  private async detachFromConnection(
    key: Item,
    connectionId: string,
    update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ExpressionAttributeValues'>,
  ): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: key }));
    await this.updateIfExists(keys.connection(connectionId), update);
  }

  async getSubscription(roomId: string, connectionId: string): Promise<Subscription | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: keys.subscription(roomId, connectionId),
        ConsistentRead: true,
      }),
    );
    return Item && Number(Item.ttl) > this.nowSeconds() ? toSubscription(Item) : null;
  }

  async listSubscriptions(roomId: string): Promise<Subscription[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':pk': keys.subscriptionsOf(roomId), ':now': this.nowSeconds() },
      ConsistentRead: true,
    });
    return items.map(toSubscription);
  }

  async userConnections(userId: string, role: Role): Promise<LiveConnection[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :user)',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: {
        ':pk': keys.presencePartition(role, userId),
        ':user': keys.presenceOfUser(userId),
        ':now': this.nowSeconds(),
      },
      ConsistentRead: true,
    });
    return items
      .map((item) => ({ connectionId: String(item.connection_id), connectedAt: Number(item.connected_at) }))
      .sort((a, b) => a.connectedAt - b.connectedAt || a.connectionId.localeCompare(b.connectionId));
  }

  async onlineStaff(): Promise<OnlineUser[]> {
    const byUser = new Map<string, { connections: number; since: number }>();
    for (const item of await this.staffPresence()) {
      const userId = String(item.user_id);
      const entry = byUser.get(userId) ?? { connections: 0, since: Number.POSITIVE_INFINITY };
      entry.connections += 1;
      entry.since = Math.min(entry.since, Number(item.connected_at));
      byUser.set(userId, entry);
    }
    return [...byUser.entries()]
      .map(([userId, { connections, since }]) => ({
        userId,
        role: 'staff' as const,
        connections,
        onlineSince: new Date(since).toISOString(),
      }))
      .sort((a, b) => a.userId.localeCompare(b.userId));
  }

  async staffConnections(): Promise<Subscription[]> {
    return (await this.staffPresence()).map((item) => toSubscription({ ...item, room_id: '' }));
  }

  private staffPresence(): Promise<Item[]> {
    return this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':pk': keys.presencePartition('staff', ''), ':now': this.nowSeconds() },
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Tickets

  async putTicket(ticketHash: string, ticket: Ticket, expiresAt: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...keys.ticket(ticketHash),
          type: 'ticket',
          user_id: ticket.userId,
          role: ticket.role,
          ttl: expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async takeTicket(ticketHash: string): Promise<Ticket | null> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({ TableName: this.table, Key: keys.ticket(ticketHash), ReturnValues: 'ALL_OLD' }),
    );
    if (!Attributes || Number(Attributes.ttl) <= this.nowSeconds()) return null;
    return { userId: String(Attributes.user_id), role: roleOf(Attributes.role) };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Plumbing

  /**
   * The item a failed conditional write saw. DynamoDB returns it (`ReturnValuesOnConditionCheckFailure`),
   * except when the item does not exist; then one strongly consistent read confirms it, which also covers
   * emulators that ignore the option. This is the refusal path only: a successful write never pays for it.
   */
  private async itemSeenBy(error: unknown, key: Item): Promise<Item | null> {
    if (!conditionFailed(error)) throw error;
    // The document client converts responses, not errors: the item arrives in DynamoDB's wire form.
    if (error.Item) return unmarshall(error.Item);
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
    );
    return (Item as Item | undefined) ?? null;
  }

  /** Follows LastEvaluatedKey until `max` items (or all of them) are read. */
  private async queryAll(
    input: Omit<QueryCommandInput, 'TableName'>,
    max = Number.POSITIVE_INFINITY,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const remaining = max - items.length;
      const result = await this.db.send(
        new QueryCommand({
          ...input,
          TableName: this.table,
          ExclusiveStartKey: start,
          ...(Number.isFinite(remaining) ? { Limit: remaining } : {}),
        }),
      );
      items.push(...((result.Items as Item[] | undefined) ?? []));
      start = result.LastEvaluatedKey as Item | undefined;
    } while (start && items.length < max);
    return items;
  }

  /**
   * One page of a query with an opaque cursor. The cursor is DynamoDB's own LastEvaluatedKey, checked against
   * the partition the caller may read, so a forged cursor cannot start a query elsewhere.
   */
  private async queryPage(
    input: Omit<QueryCommandInput, 'TableName'>,
    page: PageRequest,
    ownsKey: (key: Item) => boolean,
  ): Promise<{ items: Item[]; next: string | null }> {
    let start = page.cursor === undefined ? undefined : decodeKeyCursor(page.cursor);
    if (start && !ownsKey(start)) throw new BadRequest('Invalid cursor', 'invalid_cursor');
    const items: Item[] = [];
    let last: Item | undefined;
    do {
      const result = await this.db.send(
        new QueryCommand({
          ...input,
          TableName: this.table,
          ExclusiveStartKey: start,
          Limit: page.limit - items.length,
        }),
      );
      items.push(...((result.Items as Item[] | undefined) ?? []));
      start = result.LastEvaluatedKey as Item | undefined;
      last = start;
    } while (start && items.length < page.limit);
    // DynamoDB may hand back a key even when nothing follows; only a full page advertises a next one.
    const next =
      last && items.length >= page.limit ? Buffer.from(JSON.stringify(last)).toString('base64url') : null;
    return { items, next };
  }

  private async batchWrite(requests: Item[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      let pending: Record<string, Item[]> | undefined = {
        [this.table]: requests.slice(i, i + BATCH_WRITE_LIMIT),
      };
      for (let attempt = 0; pending && Object.keys(pending).length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS)
          throw new Error('BatchWriteItem left items unprocessed after retries');
        if (attempt > 0) await backoff(attempt);
        const result = await this.db.send(
          // biome-ignore lint/suspicious/noExplicitAny: the document client's request type is a deep union.
          new BatchWriteCommand({ RequestItems: pending as any }),
        );
        pending = result.UnprocessedItems as Record<string, Item[]> | undefined;
      }
    }
  }

  private roomItem(room: Room): Item {
    return {
      ...keys.room(room.id),
      type: 'room',
      id: room.id,
      room_type: room.roomType,
      subject: room.subject,
      status: room.status,
      customer_id: room.customerId,
      ...(room.staffIds.length > 0 ? { staff_ids: new Set(room.staffIds) } : {}),
      created_at: room.createdAt,
      last_activity_at: room.lastActivityAt,
      seq: room.lastMessageId,
      reads: room.reads,
      gsi1pk: keys.customerRooms(room.customerId),
      gsi1sk: keys.timeOrdered(room.createdAt, room.id),
      ...(room.status === 'open'
        ? {
            gsi2pk: keys.openRooms(shardOfRoom(room.id, this.shards)),
            gsi2sk: keys.timeOrdered(room.lastActivityAt, room.id),
          }
        : {}),
    };
  }
}

function shardOfRoom(roomId: string, shards: number): number {
  let hash = 0;
  for (let i = 0; i < roomId.length; i++) hash = (hash * 31 + roomId.charCodeAt(i)) >>> 0;
  return hash % shards;
}

async function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(1000, 25 * 2 ** attempt);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

function preview(content: string): string {
  const chars = [...content];
  return chars.length <= PREVIEW_LENGTH ? content : `${chars.slice(0, PREVIEW_LENGTH - 1).join('')}…`;
}

/** Roles are stored as written; anything but staff reads as a customer, the role with less power. */
const roleOf = (value: unknown): Role => (value === 'staff' ? 'staff' : 'customer');

function toStringArray(value: unknown): string[] {
  if (value instanceof Set) return [...value].map(String).sort();
  if (Array.isArray(value)) return value.map(String);
  return [];
}

function toRoom(item: Item): Room {
  const seq = Number(item.seq ?? 0);
  const last = item.last_message as Item | undefined;
  return {
    id: String(item.id),
    roomType: String(item.room_type),
    subject: String(item.subject ?? ''),
    status: item.status === 'closed' ? 'closed' : 'open',
    customerId: String(item.customer_id),
    staffIds: toStringArray(item.staff_ids),
    createdAt: String(item.created_at),
    lastActivityAt: String(item.last_activity_at),
    closedAt: typeof item.closed_at === 'string' ? item.closed_at : null,
    closedBy: typeof item.closed_by === 'string' ? item.closed_by : null,
    lastMessageId: seq,
    lastMessage: last
      ? {
          id: seq,
          senderId: String(last.sender_id),
          senderRole: roleOf(last.sender_role),
          preview: String(last.preview),
          createdAt: String(last.created_at),
        }
      : null,
    reads: Object.fromEntries(
      Object.entries((item.reads as Item | undefined) ?? {}).map(([k, v]) => [k, Number(v)]),
    ),
  };
}

function messageItem(message: Message): Item {
  return {
    ...keys.message(message.roomId, message.id),
    type: 'message',
    id: message.id,
    room_id: message.roomId,
    sender_id: message.senderId,
    sender_role: message.senderRole,
    content: message.content,
    created_at: message.createdAt,
    ...(message.clientMessageId === null ? {} : { client_message_id: message.clientMessageId }),
  };
}

function toMessage(item: Item): Message {
  return {
    id: Number(item.id),
    roomId: String(item.room_id),
    senderId: String(item.sender_id),
    senderRole: roleOf(item.sender_role),
    content: String(item.content),
    createdAt: String(item.created_at),
    clientMessageId: typeof item.client_message_id === 'string' ? item.client_message_id : null,
  };
}

function subscriptionItem(subscription: Subscription, expiresAt: number): Item {
  return {
    ...keys.subscription(subscription.roomId, subscription.connectionId),
    type: 'subscription',
    room_id: subscription.roomId,
    connection_id: subscription.connectionId,
    user_id: subscription.userId,
    role: subscription.role,
    connected_at: subscription.connectedAt,
    ttl: expiresAt,
  };
}

function toSubscription(item: Item): Subscription {
  return {
    roomId: String(item.room_id),
    connectionId: String(item.connection_id),
    userId: String(item.user_id),
    role: roleOf(item.role),
    connectedAt: Number(item.connected_at),
  };
}

function toConnection(item: Item): Connection {
  return {
    connectionId: String(item.connection_id),
    userId: String(item.user_id),
    role: roleOf(item.role),
    connectedAt: Number(item.connected_at),
    rooms: toStringArray(item.rooms),
    followsQueue: item.follows_queue === true,
  };
}

/** A list cursor is a gsi1 key: exactly these four string attributes, nothing else reaches DynamoDB. */
const GSI1_KEY = ['gsi1pk', 'gsi1sk', 'pk', 'sk'];

function decodeKeyCursor(cursor: string): Item {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (key && typeof key === 'object' && !Array.isArray(key)) {
      const entries = Object.entries(key);
      const names = entries.map(([name]) => name).sort();
      if (
        names.length === GSI1_KEY.length &&
        names.every((name, i) => name === GSI1_KEY[i]) &&
        entries.every(([, value]) => typeof value === 'string' && value.length > 0 && value.length <= 1024)
      ) {
        return key as Item;
      }
    }
  } catch {
    // fall through
  }
  throw new BadRequest('Invalid cursor', 'invalid_cursor');
}

function decodeOpenRoomsCursor(cursor: string): string {
  const value = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{4}-\d\d-\d\dT[\d:.]+Z#[\w-]+$/.test(value))
    throw new BadRequest('Invalid cursor', 'invalid_cursor');
  return value;
}
