import { createHash } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { createDocumentClient, DynamoMeter } from '../../lambdas/storage/client.js';
import { keys } from '../../lambdas/storage/keys.js';
import type { LocalStack } from '../../local/stack.js';
import { api } from '../support/stack.js';

/** A document client on the stack's table, for what a test sets up behind the API's back (time passing). */
export const tableOf = (stack: LocalStack) => {
  const db = createDocumentClient(new DynamoMeter());
  return {
    /** Moves the room's reply-email window into the past: as if its few minutes had gone by. */
    async expireReplyWindow(roomId: string): Promise<void> {
      await db.send(
        new UpdateCommand({
          TableName: stack.tableName,
          Key: keys.replyEmail(roomId),
          UpdateExpression: 'SET #until = :past',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':past': Date.now() - 1 },
        }),
      );
    },
    /**
     * Stores a staff message marked internal as the room's newest, the way no code path may (notes take no id
     * from the sequence): the last line of defence, the store's own refusal to email it, is what this tests.
     */
    async putInternalStaffMessage(roomId: string, id: number, content: string): Promise<void> {
      const at = new Date().toISOString();
      await db.send(
        new PutCommand({
          TableName: stack.tableName,
          Item: {
            ...keys.message(roomId, id),
            type: 'message',
            id,
            room_id: roomId,
            sender_id: 'sam',
            sender_role: 'staff',
            content,
            created_at: at,
            visibility: 'internal',
          },
        }),
      );
      await db.send(
        new UpdateCommand({
          TableName: stack.tableName,
          Key: keys.room(roomId),
          UpdateExpression: 'SET seq = :id, last_message_id = :id, last_message = :last ADD version :one',
          ExpressionAttributeValues: {
            ':id': id,
            ':one': 1,
            ':last': { sender_id: 'sam', sender_role: 'staff', preview: content, created_at: at },
          },
        }),
      );
    },
    /** Moves a confirmation link's expiry into the past. */
    async expireConfirmation(token: string): Promise<void> {
      await db.send(
        new UpdateCommand({
          TableName: stack.tableName,
          Key: keys.emailConfirmation(createHash('sha256').update(token).digest('base64url')),
          UpdateExpression: 'SET expires_at = :past',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
        }),
      );
    },
  };
};

/** Opens a room as `token`'s customer; its id. */
export async function openRoom(
  stack: LocalStack,
  token: string,
  subject = 'Where is my order?',
): Promise<string> {
  const response = await api(stack, token).post('/rooms/', { subject });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

/** Sends a message over HTTP, asserted stored. */
export async function say(stack: LocalStack, token: string, roomId: string, content: string): Promise<void> {
  const response = await api(stack, token).post(`/rooms/${roomId}/send_message/`, { content });
  expect(response.status).toBe(201);
}

/** The confirmation link's token in an email's text. */
export function tokenIn(text: string): string {
  const match = /\/api\/chat\/email-confirmations\/([A-Za-z0-9_-]+)/.exec(text);
  if (!match?.[1]) throw new Error(`no confirmation link in:\n${text}`);
  return match[1];
}
