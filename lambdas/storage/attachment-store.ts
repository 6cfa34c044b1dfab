import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Attachment, type AttachmentStore, isAllowedType } from '../domain/attachments.js';
import { keys } from './keys.js';
import type { Item, Table } from './table.js';

/**
 * Attachment items: one per upload, `ROOM#<id>` / `ATT#<attachment id>`, in the room's partition (so a room's
 * uploads are found by key, never by a query, and a message can only cite one of its own room's). Written
 * once when the upload is asked for; the room item is not touched.
 */
export class DynamoAttachmentStore implements AttachmentStore {
  constructor(private readonly table: Table) {}

  async putAttachment(attachment: Attachment): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...keys.attachment(attachment.roomId, attachment.id),
          type: 'attachment',
          id: attachment.id,
          room_id: attachment.roomId,
          uploader_id: attachment.uploaderId,
          name: attachment.name,
          size: attachment.size,
          content_type: attachment.contentType,
          ...(attachment.hasThumbnail ? { thumbnail: true } : {}),
          created_at: attachment.createdAt,
        },
        // Ids are random UUIDs: a collision would be a bug, and must not replace someone's upload.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** One GetItem for one id (the download route), a BatchGetItem for a message's few. */
  async getAttachments(roomId: string, ids: readonly string[]): Promise<Attachment[]> {
    if (ids.length === 0) return [];
    if (ids.length === 1) {
      const { Item } = await this.table.db.send(
        new GetCommand({ TableName: this.table.name, Key: keys.attachment(roomId, ids[0] as string) }),
      );
      return Item ? [toAttachment(Item)].filter((a) => a !== null) : [];
    }
    const items = await this.table.batchGet(ids.map((id) => keys.attachment(roomId, id)));
    return items.map(toAttachment).filter((a) => a !== null);
  }
}

function toAttachment(item: Item): Attachment | null {
  const contentType = String(item.content_type);
  // A type taken off the list since the upload is not served any more.
  if (!isAllowedType(contentType)) return null;
  return {
    id: String(item.id),
    roomId: String(item.room_id),
    uploaderId: String(item.uploader_id),
    name: String(item.name),
    size: Number(item.size),
    contentType,
    hasThumbnail: item.thumbnail === true,
    createdAt: String(item.created_at),
  };
}
