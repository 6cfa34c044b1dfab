import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ChatStore } from '../domain/ports.js';
import type { Ticket } from '../domain/types.js';
import { roleOf } from './items.js';
import { keys } from './keys.js';
import type { Table } from './table.js';

/** One-time WebSocket tickets, stored by hash with a short `ttl` and consumed by a delete. */
export class TicketStore implements Pick<ChatStore, 'putTicket' | 'takeTicket'> {
  constructor(private readonly table: Table) {}

  async putTicket(ticketHash: string, ticket: Ticket, expiresAt: number): Promise<void> {
    await this.table.db.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          ...keys.ticket(ticketHash),
          type: 'ticket',
          user_id: ticket.userId,
          role: ticket.role,
          ttl: expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async takeTicket(ticketHash: string): Promise<Ticket | null> {
    const { Attributes } = await this.table.db.send(
      new DeleteCommand({
        TableName: this.table.name,
        Key: keys.ticket(ticketHash),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!Attributes || Number(Attributes.ttl) <= this.table.nowSeconds()) return null;
    return { userId: String(Attributes.user_id), role: roleOf(Attributes.role) };
  }
}
