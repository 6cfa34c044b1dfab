import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RoomTransfer } from '../domain/sessions.js';
import { roomIdOfListing } from './items.js';
import { keys } from './keys.js';
import { applied, type Table } from './table.js';

/**
 * A guest's rooms become the verified user's, for the identity exchange's upgrade. Per room, two conditional
 * writes in an order a retry completes, so that a room always has exactly one owner:
 *
 * 1. the room item (the owner every access check reads): `customer_id`, the read pointer (`reads` key) and the
 *    typing key (dropped: a typing hint stands for seconds), on condition that the guest still owns it;
 * 2. the customer's list entry (`customer_room`, gsi1), which follows whoever owns the room item now.
 *
 * A failure after the first write leaves the room owned by the verified user and still listed under the guest,
 * which is where a retry finds it (the guest's list is what it reads) and finishes step 2. The guest's messages
 * keep their sender id.
 */
export class DynamoRoomTransfer implements RoomTransfer {
  constructor(private readonly table: Table) {}

  async moveRooms(fromUserId: string, toUserId: string): Promise<number> {
    const listings = await this.table.queryAll({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.customerRooms(fromUserId) },
    });
    let moved = 0;
    for (const listing of listings) {
      if ((await this.moveRoom(roomIdOfListing(listing), fromUserId, toUserId)) === toUserId) moved += 1;
    }
    return moved;
  }

  /** Moves one room; returns its owner afterwards (null: a list entry whose room was never created). */
  private async moveRoom(roomId: string, fromUserId: string, toUserId: string): Promise<string | null> {
    let owner: string | null = toUserId;
    try {
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.room(roomId),
          UpdateExpression:
            'SET customer_id = :to, #reads.#toReader = if_not_exists(#reads.#fromReader, :zero) ' +
            'REMOVE #reads.#fromReader, #fromTypist ADD version :one',
          ConditionExpression: 'customer_id = :from',
          ExpressionAttributeNames: {
            '#reads': 'reads',
            '#toReader': keys.reader(toUserId),
            '#fromReader': keys.reader(fromUserId),
            '#fromTypist': keys.typist(fromUserId),
          },
          ExpressionAttributeValues: { ':to': toUserId, ':from': fromUserId, ':zero': 0, ':one': 1 },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      const seen = await this.table.itemSeenBy(error, keys.room(roomId));
      owner = seen ? String(seen.customer_id) : null;
    }
    if (owner === null) return null;
    await applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.customerRoom(roomId),
          UpdateExpression: 'SET customer_id = :owner, gsi1pk = :list',
          ConditionExpression: 'customer_id = :from',
          ExpressionAttributeValues: {
            ':owner': owner,
            ':list': keys.customerRooms(owner),
            ':from': fromUserId,
          },
        }),
      ),
    );
    return owner;
  }
}
