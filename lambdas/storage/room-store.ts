import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type {
  ChatStore,
  CloseResult,
  HistoryRequest,
  MarkReadResult,
  MembershipResult,
  PageRequest,
} from '../domain/ports.js';
import type { RoomContext } from '../domain/profiles.js';
import type { Actor, MessagePage, Page, Room } from '../domain/types.js';
import { type ClosedRooms, LEGACY_OPEN_ROOM_ATTRIBUTES } from './closed-rooms.js';
import { customerRoomItem, roomIdOfListing, roomItem, toMessage, toRoom } from './items.js';
import { keys, pad } from './keys.js';
import type { OpenRooms } from './open-rooms.js';
import { sequencePage } from './sequence-page.js';
import { applied, conditionFailed, type Item, type Table } from './table.js';

type RoomPorts =
  | 'createRoom'
  | 'getRoom'
  | 'listCustomerRooms'
  | 'listStaffRooms'
  | 'listOpenRooms'
  | 'openRoomIdsOf'
  | 'listMessages'
  | 'markRead'
  | 'addStaff'
  | 'removeStaff'
  | 'closeRoom'
  | 'renameCustomer';

/**
 * Rooms and what hangs off the room item: the lists of rooms (a customer's, a staff member's, the open ones),
 * message history, staff membership and read pointers. Every change to a room is one conditional update of
 * the room item whose refusal reports why.
 */
export class RoomStore implements Pick<ChatStore, RoomPorts> {
  constructor(
    private readonly table: Table,
    /** The open-rooms index: its attributes and the list. */
    private readonly openRooms: OpenRooms,
    /** Where a room's gsi3 entry moves when it closes. */
    private readonly closedRooms: ClosedRooms,
  ) {}

  /**
   * The customer's list entry and the room's context first, then the room: an entry whose room never came is
   * left out of the list (and a context without its room is read by nobody), while a room without its entry
   * would be missing from it.
   */
  async createRoom(room: Room, context?: RoomContext): Promise<void> {
    await this.table.db.send(new PutCommand({ TableName: this.table.name, Item: customerRoomItem(room) }));
    if (context?.pageUrl)
      await this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...keys.roomContext(room.id),
            type: 'room_context',
            room_id: room.id,
            page_url: context.pageUrl,
          },
        }),
      );
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: roomItem(room, this.openRooms.attributes(room.id, room.lastActivityAt)),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getRoom(roomId: string): Promise<Room | null> {
    const { Item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: keys.room(roomId), ConsistentRead: true }),
    );
    return Item ? toRoom(Item) : null;
  }

  async listCustomerRooms(customerId: string, page: PageRequest): Promise<Page<Room>> {
    const { items, next } = await this.newestFirstInGsi1(keys.customerRooms(customerId), page);
    const rooms = await this.getRooms(items.map(roomIdOfListing));
    return { items: rooms, nextCursor: next };
  }

  /** Member items of the open rooms the staff member joined, then the rooms themselves in one batch. */
  async listStaffRooms(staffId: string, page: PageRequest): Promise<Page<Room>> {
    const { items, next } = await this.newestFirstInGsi1(keys.staffRooms(staffId), page);
    const rooms = await this.getRooms(items.map((member) => String(member.room_id)));
    return { items: rooms, nextCursor: next };
  }

  private newestFirstInGsi1(partition: string, page: PageRequest) {
    return this.table.queryPage(
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

  /** The open rooms, newest activity first: see `OpenRooms.list`. */
  listOpenRooms(page: PageRequest): Promise<Page<Room>> {
    return this.openRooms.list(page);
  }

  async openRoomIdsOf(actor: Actor): Promise<string[]> {
    if (actor.role === 'staff') {
      const members = await this.table.queryAll({
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.staffRooms(actor.userId) },
      });
      return members.map((member) => String(member.room_id));
    }
    const rooms = await this.table.queryAll({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      FilterExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pk': keys.customerRooms(actor.userId), ':open': 'open' },
    });
    return rooms.map(roomIdOfListing);
  }

  listMessages(roomId: string, request: HistoryRequest): Promise<MessagePage> {
    return sequencePage(
      this.table,
      { pk: keys.room(roomId).pk, prefix: keys.messagePrefix },
      request,
      toMessage,
    );
  }

  /**
   * Moves a read pointer forward. A staff reader's count of staff messages at the pointer moves with it (see
   * `unreadCount`); the domain names the customer by `ownerId`, so a reader without one is staff. Reading up to
   * the room's newest id, the usual case, is one write that copies the room's count. Up to an older id the
   * count at that id is on its message (the newest stored one at or below it): the write that assumed the
   * newest is refused (one unit), then one strongly consistent read of that message, then the write.
   */
  async markRead(
    roomId: string,
    userId: string,
    messageId: number,
    ownerId?: string,
  ): Promise<MarkReadResult> {
    const isStaff = ownerId === undefined;
    // A staff reader's count at the pointer: the room's own (`newest`: only if the pointer is its newest id;
    // `room`: whatever it is), or the one read from the message (a number).
    const moved = (count: 'newest' | 'room' | number) => {
      const copied = isStaff && typeof count !== 'number';
      return this.updateRoom(roomId, {
        UpdateExpression:
          'SET #reads.#me = :n' +
          (!isStaff ? '' : copied ? ', #myCount = if_not_exists(#sc, :zero)' : ', #myCount = :count') +
          ' ADD version :one',
        ConditionExpression:
          // The newest stored message (rooms from before last_message_id: seq, which had no holes then).
          'attribute_exists(pk) AND (:n <= last_message_id OR (attribute_not_exists(last_message_id) AND :n <= seq))' +
          ' AND (attribute_not_exists(#reads.#me) OR #reads.#me < :n)' +
          (ownerId === undefined ? '' : ' AND customer_id = :owner') +
          (isStaff && count === 'newest' ? ' AND seq = :n' : ''),
        ExpressionAttributeNames: {
          '#reads': 'reads',
          '#me': keys.reader(userId),
          ...(isStaff ? { '#myCount': keys.staffCountAtRead(userId) } : {}),
          ...(copied ? { '#sc': keys.staffCount } : {}),
        },
        ExpressionAttributeValues: {
          ':n': messageId,
          ':one': 1,
          ...(ownerId === undefined ? {} : { ':owner': ownerId }),
          ...(copied ? { ':zero': 0 } : {}),
          ...(isStaff && typeof count === 'number' ? { ':count': count } : {}),
        },
      });
    };
    let result = await moved('newest');
    if (isStaff && 'seen' in result && result.seen && this.olderThanNewest(result.seen, userId, messageId)) {
      result = await moved((await this.staffCountAt(roomId, messageId)) ?? 'room');
    }
    if ('room' in result) return { kind: 'updated', room: result.room };
    const { seen } = result;
    if (seen === null || (ownerId !== undefined && seen.customer_id !== ownerId))
      return { kind: 'not_found' };
    const room = toRoom(seen);
    if (messageId > room.lastMessageId) return { kind: 'beyond', lastMessageId: room.lastMessageId };
    return { kind: 'unchanged', room };
  }

  /** Whether a refused staff read was refused only for naming an id older than the room's newest. */
  private olderThanNewest(seen: Item, userId: string, messageId: number): boolean {
    const room = toRoom(seen);
    return (
      Number(seen.seq ?? 0) !== messageId &&
      messageId <= room.lastMessageId &&
      (room.reads.get(userId) ?? Number.NEGATIVE_INFINITY) < messageId
    );
  }

  /**
   * The room's count of staff messages through message `messageId`, from the newest stored message at or
   * below it; undefined when that message predates the count (the room's own count is used then, which
   * counts staff messages after the pointer as unread, as before the count existed).
   */
  private async staffCountAt(roomId: string, messageId: number): Promise<number | undefined> {
    const { Items } = await this.table.db.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: {
          ':pk': keys.room(roomId).pk,
          ':lo': `${keys.messagePrefix}${pad(1)}`,
          ':hi': keys.message(roomId, messageId).sk,
        },
        ExpressionAttributeNames: { '#sc': keys.staffCount },
        ProjectionExpression: '#sc',
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const count = Items?.[0]?.[keys.staffCount];
    return count === undefined ? undefined : Number(count);
  }

  async addStaff(roomId: string, staffId: string, at: string): Promise<MembershipResult> {
    const result = await this.updateRoom(roomId, {
      UpdateExpression:
        'ADD staff_ids :me_set, version :one SET #reads.#me = if_not_exists(#reads.#me, :zero)',
      ConditionExpression: 'attribute_exists(pk) AND #status = :open AND NOT contains(staff_ids, :me)',
      ExpressionAttributeNames: { '#reads': 'reads', '#me': keys.reader(staffId), '#status': 'status' },
      ExpressionAttributeValues: {
        ':me_set': new Set([staffId]),
        ':me': staffId,
        ':zero': 0,
        ':one': 1,
        ':open': 'open',
      },
    });
    if ('seen' in result) {
      if (result.seen === null) return { kind: 'not_found' };
      if (result.seen.status !== 'open') return { kind: 'closed' };
      const room = toRoom(result.seen);
      // Joined, but a failure may have left the membership unrecorded: a retry finishes the join.
      if (await this.isListedMember(roomId, staffId)) return { kind: 'unchanged', room };
      await this.putMember(roomId, staffId, at);
      return { kind: 'changed', room };
    }
    await this.putMember(roomId, staffId, at);
    return { kind: 'changed', room: result.room };
  }

  async removeStaff(roomId: string, staffId: string): Promise<MembershipResult> {
    const result = await this.updateRoom(roomId, {
      UpdateExpression: 'DELETE staff_ids :me_set ADD version :one',
      ConditionExpression: 'attribute_exists(pk) AND contains(staff_ids, :me)',
      ExpressionAttributeValues: { ':me_set': new Set([staffId]), ':me': staffId, ':one': 1 },
    });
    if ('seen' in result) {
      if (result.seen === null) return { kind: 'not_found' };
      // Left, but a failure may have kept the member item: a retry finishes the leave.
      const changed = await this.deleteMember(roomId, staffId);
      return { kind: changed ? 'changed' : 'unchanged', room: toRoom(result.seen) };
    }
    await this.deleteMember(roomId, staffId);
    return { kind: 'changed', room: result.room };
  }

  /** Deletes a membership; true if there was one. */
  private async deleteMember(roomId: string, staffId: string): Promise<boolean> {
    const { Attributes } = await this.table.db.send(
      new DeleteCommand({
        TableName: this.table.name,
        Key: keys.member(roomId, staffId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  async closeRoom(roomId: string, by: string, at: string, ownerId?: string): Promise<CloseResult> {
    // The room's gsi3 entry moves from the open rooms to the closed ones in the same write.
    const closedKeys = this.closedRooms.restated(roomId, at);
    const result = await this.updateRoom(roomId, {
      UpdateExpression: `SET #status = :closed, closed_at = :at, closed_by = :by, ${closedKeys.clauses.join(', ')} ADD version :one REMOVE ${LEGACY_OPEN_ROOM_ATTRIBUTES}`,
      ConditionExpression:
        'attribute_exists(pk) AND #status = :open' +
        (ownerId === undefined ? '' : ' AND customer_id = :owner'),
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':closed': 'closed',
        ':open': 'open',
        ':one': 1,
        ':at': at,
        ':by': by,
        ...closedKeys.values,
        ...(ownerId === undefined ? {} : { ':owner': ownerId }),
      },
    });
    if ('seen' in result) {
      const { seen } = result;
      if (seen === null || (ownerId !== undefined && seen.customer_id !== ownerId))
        return { kind: 'not_found' };
      const room = toRoom(seen);
      // Closed, but a failure may have left it open in its lists: a retry finishes the close.
      const unlisted = await this.closeListings(room);
      return { kind: unlisted ? 'changed' : 'unchanged', room };
    }
    const { room } = result;
    await this.closeListings(room);
    return { kind: 'changed', room };
  }

  /** One conditional update; a refusal (closed, not theirs, the name already shown) reads nothing more. */
  async renameCustomer(roomId: string, customerId: string, name: string | null): Promise<Room | null> {
    try {
      const { Attributes } = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.room(roomId),
          UpdateExpression:
            name === null
              ? 'REMOVE customer_name ADD version :one'
              : 'SET customer_name = :name ADD version :one',
          ConditionExpression:
            'attribute_exists(pk) AND customer_id = :customer AND #status = :open AND ' +
            (name === null
              ? 'attribute_exists(customer_name)'
              : '(attribute_not_exists(customer_name) OR customer_name <> :name)'),
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':customer': customerId,
            ':open': 'open',
            ':one': 1,
            ...(name === null ? {} : { ':name': name }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRoom(Attributes as Item);
    } catch (error) {
      if (conditionFailed(error)) return null;
      throw error;
    }
  }

  /**
   * A closed room leaves its staff members' lists of open rooms, and its customer's entry says closed; true if
   * any of them still had it open.
   */
  private async closeListings(room: Room): Promise<boolean> {
    const changed = await Promise.all([
      ...room.staffIds.map((staffId) => this.unlistMember(room.id, staffId)),
      applied(
        this.table.db.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: keys.customerRoom(room.id),
            UpdateExpression: 'SET #status = :closed',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':closed': 'closed', ':open': 'open' },
          }),
        ),
      ),
    ]);
    return changed.includes(true);
  }

  /**
   * A conditional update of a room item: the room as it is now, or, when the condition refused the write,
   * the item as the condition saw it (null when there is no such room).
   */
  async updateRoom(
    roomId: string,
    update: Pick<
      UpdateCommandInput,
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<{ room: Room } | { seen: Item | null }> {
    try {
      const { Attributes } = await this.table.db.send(
        new UpdateCommand({
          ...update,
          TableName: this.table.name,
          Key: keys.room(roomId),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { room: toRoom(Attributes as Item) };
    } catch (error) {
      return { seen: await this.table.itemSeenBy(error, keys.room(roomId)) };
    }
  }

  /**
   * Records a staff member's membership, listed under their open rooms. A close that landed between the room
   * update and this write would have missed the new item, so the room is read back and, if it closed in the
   * meantime, the item leaves the list again.
   */
  async putMember(roomId: string, staffId: string, at: string): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
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

  /**
   * Takes a staff member out of `staff_ids` whose implicit join (by replying) failed to record the
   * membership, unless it was recorded meanwhile, so their next message joins them again.
   */
  async undoJoin(roomId: string, staffId: string): Promise<void> {
    if (await this.isListedMember(roomId, staffId)) return;
    await this.table.updateIfExists(keys.room(roomId), {
      UpdateExpression: 'DELETE staff_ids :me_set ADD version :one',
      ExpressionAttributeValues: { ':me_set': new Set([staffId]), ':one': 1 },
    });
  }

  /** Whether the staff member's membership is recorded and listed under their open rooms. */
  async isListedMember(roomId: string, staffId: string): Promise<boolean> {
    const { Item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: keys.member(roomId, staffId), ConsistentRead: true }),
    );
    return Item?.gsi1pk !== undefined;
  }

  /**
   * Takes a membership off the staff member's list of open rooms (the item stays, for the record); true if it
   * was still listed.
   */
  private async unlistMember(roomId: string, staffId: string): Promise<boolean> {
    return applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.member(roomId, staffId),
          UpdateExpression: 'REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'attribute_exists(gsi1pk)',
        }),
      ),
    );
  }

  /** Rooms by id, in the order asked for; a room that is gone is left out. */
  private async getRooms(roomIds: readonly string[]): Promise<Room[]> {
    const found = new Map<string, Room>();
    for (const item of await this.table.batchGet(roomIds.map((id) => keys.room(id)))) {
      const room = toRoom(item);
      found.set(room.id, room);
    }
    return roomIds.flatMap((id) => found.get(id) ?? []);
  }
}
