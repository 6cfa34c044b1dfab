import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ChatStore } from '../domain/ports.js';
import type { Actor } from '../domain/types.js';
import { keys } from './keys.js';
import { applied, type Table } from './table.js';

/**
 * How long "typing" stands without a newer typing frame: clients repeat `is_typing: true` every 3 s while
 * typing goes on, so a tab that died mid-word stops showing as typing soon after.
 */
export const TYPING_STANDS_MS = 6_000;

/**
 * Typing, as an attribute of the room item (`T#<user>`: until when). Nothing on the request path reads it: it
 * is written so that the table's stream carries "who is typing" to the staff queue's summaries
 * (`lambdas/stream/queue-summaries.ts`), which is how a console sees "typing…" in rooms it does not follow
 * without a frame per console per keystroke. Being part of the room item, it moves the room's version, so a
 * summary's typing list is ordered with everything else about the room: a late or repeated summary can never
 * bring back a typing hint a newer one ended. One write unit per typing frame (the room item stays under
 * 1 KB), which the per-user typing limit bounds.
 */
export class TypingStore implements Pick<ChatStore, 'putTyping'> {
  constructor(private readonly table: Table) {}

  async putTyping(roomId: string, actor: Actor, isTyping: boolean, at: string): Promise<void> {
    const until = Date.parse(at) + TYPING_STANDS_MS;
    // Nobody types in a closed room (nor in one that does not exist): the refused write changes nothing, so a
    // socket still subscribed to a closed room cannot keep the queue busy.
    await applied(
      this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.room(roomId),
          UpdateExpression: isTyping
            ? 'SET #typist = :until ADD version :one'
            : 'REMOVE #typist ADD version :one',
          ConditionExpression: 'attribute_exists(pk) AND #status = :open',
          ExpressionAttributeNames: { '#typist': keys.typist(actor.userId), '#status': 'status' },
          ExpressionAttributeValues: {
            ':open': 'open',
            ':one': 1,
            ...(isTyping ? { ':until': until } : {}),
          },
        }),
      ),
    );
  }
}
