import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NewNoteInput, NoteAppendResult, NoteStore } from '../domain/notes.js';
import type { HistoryRequest } from '../domain/ports.js';
import type { Message, MessagePage } from '../domain/types.js';
import { toMessage } from './items.js';
import { keys } from './keys.js';
import { sequencePage } from './sequence-page.js';
import type { Item, Table } from './table.js';

/** How long a note's client_message_id claim is kept, in seconds (as long as a message's). */
const CLAIM_LIFETIME_SECONDS = 7 * 24 * 3600;
/** How long an unfinished claim keeps a concurrent copy waiting: the Lambda timeout and more. */
const CLAIM_LEASE_SECONDS = 30;

/**
 * Internal notes in the chat table (see lambdas/domain/notes.ts for why they are apart from messages):
 *
 * - `ROOM#<id>` / `NOTESEQ`: the room's note counter, `ADD seq 1` per note;
 * - `ROOM#<id>` / `NOTE#<n>`: a note, the attributes of a message item plus `visibility: internal`;
 * - `ROOM#<id>` / `NCMID#<sender>#<client_message_id>`: a resend's claim, with the note's id once stored.
 *
 * None of them is the room item (sort key `ROOM`), so the table stream's queue filter never lets one through
 * and nothing that reads rooms for customers ever sees one.
 */
export class DynamoNoteStore implements NoteStore {
  constructor(private readonly table: Table) {}

  async appendNote(input: NewNoteInput): Promise<NoteAppendResult> {
    if (input.clientMessageId !== null) {
      const held = await this.claim(input, input.clientMessageId);
      if (held) return held;
    }
    const { Attributes } = await this.table.db.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: keys.noteCounter(input.roomId),
        UpdateExpression: 'ADD seq :one SET #type = :type',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':one': 1, ':type': 'note_counter' },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const note: Message = {
      id: Number(Attributes?.seq),
      roomId: input.roomId,
      senderId: input.sender.userId,
      senderRole: input.sender.role,
      content: input.content,
      createdAt: input.createdAt,
      clientMessageId: input.clientMessageId,
      visibility: 'internal',
    };
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: noteItem(note),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (input.clientMessageId !== null) {
      await this.table.db.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: keys.noteClaim(input.roomId, input.sender.userId, input.clientMessageId),
          UpdateExpression: 'SET note_id = :id',
          ExpressionAttributeValues: { ':id': note.id },
        }),
      );
    }
    return { kind: 'created', note };
  }

  /**
   * Claims the client_message_id: null when this copy may go on; the stored note for a resend of one; or
   * `in_progress` while another copy holds an unexpired lease. A lease that ran out (its holder died before it
   * stored anything) is taken over by a write conditional on that very lease.
   */
  private async claim(input: NewNoteInput, clientMessageId: string): Promise<NoteAppendResult | null> {
    const key = keys.noteClaim(input.roomId, input.sender.userId, clientMessageId);
    const now = this.table.nowSeconds();
    const item = {
      ...key,
      type: 'note_claim',
      lease_until: now + CLAIM_LEASE_SECONDS,
      ttl: now + CLAIM_LIFETIME_SECONDS,
    };
    let seen: Item | null;
    try {
      await this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return null;
    } catch (error) {
      seen = await this.table.itemSeenBy(error, key);
    }
    if (!seen) return this.claim(input, clientMessageId);
    if (seen.note_id !== undefined) {
      const { Item: stored } = await this.table.db.send(
        new GetCommand({
          TableName: this.table.name,
          Key: keys.note(input.roomId, Number(seen.note_id)),
          ConsistentRead: true,
        }),
      );
      if (stored) return { kind: 'duplicate', note: toNote(stored) };
    }
    if (Number(seen.lease_until) >= now) return { kind: 'in_progress' };
    try {
      await this.table.db.send(
        new PutCommand({
          TableName: this.table.name,
          Item: item,
          ConditionExpression: 'lease_until = :lease AND attribute_not_exists(note_id)',
          ExpressionAttributeValues: { ':lease': seen.lease_until },
        }),
      );
      return null;
    } catch (error) {
      await this.table.itemSeenBy(error, key);
      return { kind: 'in_progress' };
    }
  }

  listNotes(roomId: string, request: HistoryRequest): Promise<MessagePage> {
    return sequencePage(this.table, { pk: keys.room(roomId).pk, prefix: keys.notePrefix }, request, toNote);
  }
}

function noteItem(note: Message): Item {
  return {
    ...keys.note(note.roomId, note.id),
    type: 'note',
    id: note.id,
    room_id: note.roomId,
    sender_id: note.senderId,
    sender_role: note.senderRole,
    content: note.content,
    created_at: note.createdAt,
    visibility: 'internal',
    ...(note.clientMessageId === null ? {} : { client_message_id: note.clientMessageId }),
  };
}

/** A note reads as a message does, marked internal (notes carry no attachments). */
function toNote(item: Item): Message {
  return { ...toMessage(item), visibility: 'internal' };
}
