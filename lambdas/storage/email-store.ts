import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EmailRecipient, EmailStorePorts, ReplyContext } from '../domain/email.js';
import type { ConfirmationPorts, ConfirmationUse } from '../domain/email-confirmation.js';
import type { Room } from '../domain/types.js';
import { keys } from './keys.js';
import { toProfile } from './profile-store.js';
import { applied, type Item, type Table } from './table.js';

/** How long a room's notice claim is kept: long past any retry of the batch that made it. */
const NOTICE_KEEP_SECONDS = 7 * 24 * 3600;
/** A spent or expired link is kept a day more, so that a second click is told "used", not "unknown". */
const CONFIRMATION_KEEP_SECONDS = 24 * 3600;

/**
 * The items of email (see `lambdas/domain/email.ts`): beside each room, its reply-email window (`EMAIL`) and
 * the claim of its team notice (`NOTICE`), neither in the room item that every message rewrites; the
 * confirmation links by token hash; and, on the profile item, the address a link proved (`confirmed_email`),
 * which the profile's own writes never touch, so a changed address simply stops matching it.
 */
export class EmailStore implements EmailStorePorts, ConfirmationPorts {
  constructor(private readonly table: Table) {}

  async replyContext(room: Room): Promise<ReplyContext> {
    const senderId = room.lastMessage?.senderId;
    const customerKey = keys.profile(room.customerId);
    const messageKey = keys.message(room.id, room.lastMessageId);
    const wanted = [customerKey, messageKey, ...(senderId ? [keys.profile(senderId)] : [])];
    const found = await this.table.batchGet(wanted);
    const itemAt = (key: { pk: string; sk: string }) =>
      found.find((item) => item.pk === key.pk && item.sk === key.sk);
    const message = itemAt(messageKey);
    const customer = itemAt(customerKey);
    const sender = senderId ? itemAt(keys.profile(senderId)) : undefined;
    // Only a public staff message is ever emailed: an internal note (whatever shape it takes) never is.
    const publicStaff =
      message && message.sender_role === 'staff' && (message.visibility ?? 'public') === 'public';
    return {
      customer: customer ? recipientOf(customer) : null,
      senderName: sender && typeof sender.name === 'string' ? sender.name : null,
      reply: publicStaff ? { content: String(message.content), senderId: String(message.sender_id) } : null,
    };
  }

  async claimRoomNotice(roomId: string, nowMs: number): Promise<boolean> {
    return applied(
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...keys.roomNotice(roomId),
            type: 'room_notice',
            at: nowMs,
            ttl: Math.floor(nowMs / 1000) + NOTICE_KEEP_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async releaseRoomNotice(roomId: string): Promise<void> {
    await this.table.db.send(new DeleteCommand({ TableName: this.table.name, Key: keys.roomNotice(roomId) }));
  }

  async takeReplyWindow(roomId: string, nowMs: number, windowMs: number): Promise<boolean> {
    return applied(
      this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...keys.replyEmail(roomId),
            type: 'reply_email',
            taken_at: nowMs,
            until: nowMs + windowMs,
            ttl: Math.ceil((nowMs + windowMs) / 1000) + 60,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': nowMs },
        }),
      ),
    );
  }

  async releaseReplyWindow(roomId: string, nowMs: number): Promise<void> {
    // Only the window this call took: another one taken since (by a later batch) stays.
    await applied(
      this.table.db.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: keys.replyEmail(roomId),
          ConditionExpression: 'taken_at = :at',
          ExpressionAttributeValues: { ':at': nowMs },
        }),
      ),
    );
  }

  async recipient(userId: string): Promise<EmailRecipient | null> {
    const { Item } = await this.table.db.send(
      new GetCommand({ TableName: this.table.name, Key: keys.profile(userId), ConsistentRead: true }),
    );
    return Item ? recipientOf(Item) : null;
  }

  async putConfirmation(
    tokenHash: string,
    link: { readonly userId: string; readonly email: string; readonly expiresAt: number },
  ): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...keys.emailConfirmation(tokenHash),
          type: 'email_confirmation',
          user_id: link.userId,
          email: link.email,
          expires_at: link.expiresAt,
          ttl: link.expiresAt + CONFIRMATION_KEEP_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async useConfirmation(tokenHash: string, nowSeconds: number): Promise<ConfirmationUse> {
    const key = keys.emailConfirmation(tokenHash);
    try {
      const { Attributes } = await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: key,
          UpdateExpression: 'SET used_at = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const item = Attributes as Item;
      return { kind: 'used', userId: String(item.user_id), email: String(item.email) };
    } catch (error) {
      const seen = await this.table.itemSeenBy(error, key);
      if (!seen) return { kind: 'not_found' };
      return { kind: seen.used_at === undefined ? 'expired' : 'already_used' };
    }
  }

  async markEmailConfirmed(userId: string, email: string, at: string): Promise<boolean> {
    return applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.profile(userId),
          UpdateExpression: 'SET confirmed_email = :email, email_confirmed_at = :at',
          ConditionExpression: '#email = :email',
          ExpressionAttributeNames: { '#email': 'email' },
          ExpressionAttributeValues: { ':email': email, ':at': at },
        }),
      ),
    );
  }
}

function recipientOf(item: Item): EmailRecipient {
  return {
    profile: toProfile(item),
    confirmedEmail: typeof item.confirmed_email === 'string' ? item.confirmed_email : null,
  };
}
