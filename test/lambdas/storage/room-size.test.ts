import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { entrySize, indexEntry, itemSize, keyedIndex } from '../../../bench/index-units.js';
import type { Actor } from '../../../lambdas/domain/types.js';
import { preview } from '../../../lambdas/storage/items.js';
import { keys } from '../../../lambdas/storage/keys.js';
import { sampleRoom, useTable } from '../../support/table.js';

const TABLE = 'room-size-test';
// Ids as long as real ones: a namespaced guest id and an issuer's UUID subject.
const customer: Actor = { userId: 'guest:6f1c2a9e-8b3d-4c7a-9e21-5d4b3a2f1e0c', role: 'customer' };
const staff: Actor = { userId: '3b9d7c41-2e6f-4a58-b1c0-9f8e7d6c5b4a', role: 'staff' };

const table = useTable(TABLE, { store: { openRoomShards: 8 } });

describe('The room item', () => {
  it('stays under 1 KB with a 200-character preview, two members, their read pointers and the send tokens', async () => {
    const at = new Date().toISOString();
    const room = sampleRoom({
      id: '5a0c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d',
      subject: 'Where is my parcel? It was due on Monday',
      customerId: customer.userId,
      createdAt: at,
      lastActivityAt: at,
    });
    await table.store.createRoom(room);
    await table.store.addStaff(room.id, staff.userId, at);
    // More sends than the room remembers tokens of, from both, each with a client_message_id.
    for (let i = 0; i < 6; i++) {
      const sender = i % 2 ? staff : customer;
      const sent = await table.store.appendMessage({
        roomId: room.id,
        sender,
        content: `${i} ${'é'.repeat(198)}`,
        createdAt: new Date().toISOString(),
        clientMessageId: `c${i}-8d7e6f5a-4b3c-2d1e-0f9a-8b7c6d5e4f3a`,
        ownerId: sender === customer ? customer.userId : undefined,
      });
      if (sent.kind === 'created')
        await table.store.markRead(room.id, (sender === customer ? staff : customer).userId, sent.message.id);
    }
    const { Item } = await new DynamoDBClient({ endpoint: table.endpoint }).send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: keys.room(room.id).pk }, sk: { S: 'ROOM' } } }),
    );
    // Accented text: the preview is cut by bytes before characters.
    expect(Buffer.byteLength(Item?.last_message?.M?.preview?.S ?? '', 'utf8')).toBeLessThanOrEqual(200);
    expect(Item?.claim_0?.S).not.toBe('-');
    expect(Object.keys(Item?.reads?.M ?? {})).toHaveLength(2);
    const size = itemSize(Item ?? {});
    expect(size).toBeLessThan(1024);
    // Its open-rooms entry is far below 1 KB: one write unit to put, one to delete.
    const entry = indexEntry(Item, keyedIndex('gsi3', 'gsi3pk', 'gsi3sk', 'KEYS_ONLY'));
    expect(entry && entrySize(entry)).toBeLessThan(300);
  });
});

describe('The preview', () => {
  it.each([
    ['short text as it is', 'Hello', 'Hello'],
    ['140 ASCII characters as they are', 'a'.repeat(140), 'a'.repeat(140)],
    ['141 ASCII characters cut to 139 and an ellipsis', 'a'.repeat(141), `${'a'.repeat(139)}…`],
    ['accented text cut at 200 bytes', 'é'.repeat(140), `${'é'.repeat(98)}…`],
    ['emoji cut whole, never split', '😀'.repeat(60), `${'😀'.repeat(49)}…`],
  ])('keeps %s', (_, content, expected) => {
    expect(preview(content)).toBe(expected);
    expect(Buffer.byteLength(preview(content), 'utf8')).toBeLessThanOrEqual(200);
  });
});
