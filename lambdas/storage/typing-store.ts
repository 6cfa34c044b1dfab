import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ChatStore } from '../domain/ports.js';
import type { Actor } from '../domain/types.js';
import { keys } from './keys.js';
import type { Table } from './table.js';

/** A typing item outlives the hint it carries by this much, then TTL removes it. */
const TYPING_ITEM_LIFETIME_SECONDS = 60;

/**
 * Typing, as one small item per user and room. Nothing reads it back: it is written so that the table's
 * stream carries "who is typing" to the staff queue's summaries (`lambdas/stream/queue-summaries.ts`), which
 * is how a console sees "typing…" in rooms it does not follow without a frame per console per keystroke.
 * One write unit per typing frame, which the per-user typing limit bounds.
 */
export class TypingStore implements Pick<ChatStore, 'putTyping'> {
  constructor(private readonly table: Table) {}

  async putTyping(roomId: string, actor: Actor, isTyping: boolean, at: string): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...keys.typing(roomId, actor.userId),
          type: 'typing',
          room_id: roomId,
          user_id: actor.userId,
          role: actor.role,
          is_typing: isTyping,
          at,
          ttl: this.table.nowSeconds() + TYPING_ITEM_LIFETIME_SECONDS,
        },
      }),
    );
  }
}
