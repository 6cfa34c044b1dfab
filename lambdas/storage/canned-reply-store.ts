import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CannedReply, CannedReplyStore, CannedWriteResult } from '../domain/canned-replies.js';
import { keys } from './keys.js';
import { applied, type Item, type Table } from './table.js';

/** How long a shortcut taken for a reply not yet written is held for it: the Lambda timeout and more. */
const SHORTCUT_LEASE_SECONDS = 30;

/**
 * The team's canned replies in the chat table, all in one partition (`CANNED`), since there are at most a
 * few hundred and every console reads them all:
 *
 * - `REPLY#<id>`: a reply;
 * - `SHORTCUT#<shortcut>`: the shortcut's owner (`reply_id`), put with `attribute_not_exists`, which is what
 *   makes shortcuts unique without a transaction (DynamoDB has no unique constraint but the key);
 * - `COUNT`: how many replies there are, raised by a conditional `ADD` that refuses past the limit.
 *
 * Without transactions the steps of a change are separate writes, ordered so that a crash between two leaves
 * nothing a later request trips over: a shortcut item whose reply does not exist (or names another
 * shortcut) is stale, and the next request that wants the shortcut takes it over; the count is given back
 * when a create fails after it was raised.
 */
export class DynamoCannedReplyStore implements CannedReplyStore {
  constructor(private readonly table: Table) {}

  async listCannedReplies(): Promise<CannedReply[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.cannedReplies, ':prefix': keys.cannedReplyPrefix },
    });
    return items.map(toReply);
  }

  async createCannedReply(reply: CannedReply, max: number): Promise<CannedWriteResult> {
    const counted = await applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.cannedCount,
          UpdateExpression: 'ADD n :one',
          ConditionExpression: 'attribute_not_exists(n) OR n < :max',
          ExpressionAttributeValues: { ':one': 1, ':max': max },
        }),
      ),
    );
    if (!counted) return { kind: 'full' };
    try {
      const holder = await this.takeShortcut(reply.shortcut, reply.id);
      if (holder !== null) {
        await this.uncount();
        return { kind: 'shortcut_taken', replyId: holder };
      }
      await this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: replyItem(reply),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      await this.uncount();
      throw error;
    }
    return { kind: 'stored', reply };
  }

  async updateCannedReply(reply: CannedReply): Promise<CannedWriteResult> {
    const current = await this.getReply(reply.id);
    if (!current) return { kind: 'not_found' };
    const moved = current.shortcut !== reply.shortcut;
    if (moved) {
      const holder = await this.takeShortcut(reply.shortcut, reply.id);
      if (holder !== null) return { kind: 'shortcut_taken', replyId: holder };
    }
    let stored: Item | undefined;
    try {
      ({ Attributes: stored } = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.cannedReply(reply.id),
          UpdateExpression: 'SET title = :title, shortcut = :shortcut, #text = :text, updated_at = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#text': 'text' },
          ExpressionAttributeValues: {
            ':title': reply.title,
            ':shortcut': reply.shortcut,
            ':text': reply.text,
            ':at': reply.updatedAt,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ));
    } catch (error) {
      // Deleted meanwhile: the shortcut just taken goes back.
      await this.table.itemSeenBy(error, keys.cannedReply(reply.id));
      if (moved) await this.releaseShortcut(reply.shortcut, reply.id);
      return { kind: 'not_found' };
    }
    if (moved) await this.releaseShortcut(current.shortcut, reply.id);
    return { kind: 'stored', reply: toReply(stored ?? replyItem(reply)) };
  }

  async deleteCannedReply(replyId: string): Promise<boolean> {
    const { Attributes: old } = await this.table.db.send(
      new DeleteCommand({
        TableName: this.table.name,
        Key: keys.cannedReply(replyId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!old) return false;
    await this.releaseShortcut(String(old.shortcut), replyId);
    await this.uncount();
    return true;
  }

  private async getReply(replyId: string): Promise<CannedReply | null> {
    const { Item: item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: keys.cannedReply(replyId), ConsistentRead: true }),
    );
    return item ? toReply(item) : null;
  }

  /**
   * Takes `shortcut` for `replyId`: null when taken (or already held by it), else the id of the reply that
   * holds it. A holder that no longer uses the shortcut, or that does not exist 30 s after it took it (it died
   * between its two writes), left it stale: it is taken over
   * by a write conditional on that very holder, so two takers of a stale shortcut cannot both win.
   */
  private async takeShortcut(shortcut: string, replyId: string): Promise<string | null> {
    const key = keys.cannedShortcut(shortcut);
    const item = {
      ...key,
      type: 'canned_shortcut',
      shortcut,
      reply_id: replyId,
      claimed_at: this.table.nowSeconds(),
    };
    let seen: Item | null;
    try {
      await this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR reply_id = :me',
          ExpressionAttributeValues: { ':me': replyId },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return null;
    } catch (error) {
      seen = await this.table.itemSeenBy(error, key);
    }
    if (!seen) return this.takeShortcut(shortcut, replyId);
    const holder = String(seen.reply_id);
    const holding = await this.getReply(holder);
    if (holding?.shortcut === shortcut) return holder;
    // A holder whose reply is not there yet may still be writing it (the reply is put after its shortcut).
    if (!holding && Number(seen.claimed_at ?? 0) + SHORTCUT_LEASE_SECONDS > this.table.nowSeconds())
      return holder;
    const tookOver = await applied(
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: item,
          ConditionExpression: 'reply_id = :stale',
          ExpressionAttributeValues: { ':stale': holder },
        }),
      ),
    );
    return tookOver ? null : this.takeShortcut(shortcut, replyId);
  }

  /** Lets a shortcut go, if `replyId` still holds it. */
  private async releaseShortcut(shortcut: string, replyId: string): Promise<void> {
    await applied(
      this.table.db.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: keys.cannedShortcut(shortcut),
          ConditionExpression: 'reply_id = :me',
          ExpressionAttributeValues: { ':me': replyId },
        }),
      ),
    );
  }

  private async uncount(): Promise<void> {
    await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: keys.cannedCount,
        UpdateExpression: 'ADD n :minus',
        ExpressionAttributeValues: { ':minus': -1 },
      }),
    );
  }
}

function replyItem(reply: CannedReply): Item {
  return {
    ...keys.cannedReply(reply.id),
    type: 'canned_reply',
    id: reply.id,
    title: reply.title,
    shortcut: reply.shortcut,
    text: reply.text,
    created_by: reply.createdBy,
    updated_at: reply.updatedAt,
  };
}

function toReply(item: Item): CannedReply {
  return {
    id: String(item.id),
    title: String(item.title ?? ''),
    shortcut: String(item.shortcut ?? ''),
    text: String(item.text ?? ''),
    createdBy: String(item.created_by ?? ''),
    updatedAt: String(item.updated_at ?? ''),
  };
}
