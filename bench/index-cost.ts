/**
 * What one message and one `mark_read` cost in DynamoDB with every index counted: the base-table units dynalite
 * reports for each call the handlers make, plus the index write units computed from the items before and after
 * (bench/index-units.ts), for the indexes the table has and for the open-rooms index it had before (gsi2), for
 * comparison.
 */
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { ChatHttp } from '../client/index.js';
import { tableSchema } from '../lambdas/contract/table-schema.js';
import type { LocalStack } from '../local/stack.js';
import {
  entrySize,
  type IndexBill,
  indexEntry,
  indexUnitsBetween,
  itemSize,
  keyedIndex,
  keyOf,
  type Snapshot,
  type WireItem,
} from './index-units.js';

/** The indexes of the table as deployed, billed from the shared schema. */
const CURRENT: IndexBill[] = tableSchema.globalSecondaryIndexes.map((index) =>
  keyedIndex(index.indexName, index.partitionKey.name, index.sortKey.name, index.projection),
);
/** gsi2 as it was: every open room by exact last activity, projection ALL. */
const BEFORE: IndexBill = {
  name: 'gsi2 (before)',
  keysOf: (item) =>
    item.type?.S === 'room' && item.status?.S === 'open'
      ? {
          gsi2pk: { S: 'OPEN#0' },
          gsi2sk: { S: `${item.last_activity_at?.S}#${item.pk?.S?.slice('ROOM#'.length)}` },
        }
      : null,
  projection: 'ALL',
};

export interface OperationCost {
  readonly operation: string;
  readonly count: number;
  readonly readUnits: number;
  readonly tableWriteUnits: number;
  /** Index write units per operation, by index name. */
  readonly indexWriteUnits: Record<string, number>;
  readonly calls: number;
}

export interface IndexCost {
  readonly operations: OperationCost[];
  /** Bytes of the room item at the end, and of its entries in each index. */
  readonly roomItemBytes: number;
  readonly entryBytes: Record<string, number>;
  readonly currentIndexes: string[];
}

export interface IndexCostInput {
  readonly stack: LocalStack;
  readonly db: DynamoDBClient;
  readonly customer: ChatHttp;
  readonly staff: ChatHttp;
  readonly messages: number;
  /** Characters per message. */
  readonly length: number;
  /** A socket of that person following the room, as a console or widget would have. */
  readonly follow: (who: 'customer' | 'staff', roomId: string) => Promise<{ close(): void }>;
}

async function snapshot(db: DynamoDBClient, table: string): Promise<Map<string, WireItem>> {
  const items = new Map<string, WireItem>();
  let start: WireItem | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) items.set(keyOf(item), item);
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Sends `messages` messages of `length` characters in a 2-person room (each person's socket follows it),
 * alternating sender, each with a
 * `client_message_id` (the gap-free send's claim) and through the per-user limit counter; after each, the
 * other person marks it read. Each operation is measured alone.
 */
export async function measureIndexCost(input: IndexCostInput): Promise<IndexCost> {
  const { stack, db, customer, staff } = input;
  const table = stack.tableName;
  const room = (await customer.createRoom({ subject: 'index cost' })).id;
  await staff.joinRoom(room);
  const sockets = [await input.follow('customer', room), await input.follow('staff', room)];
  // Warm up: the limit counters and the staff member's read pointer exist from here on.
  await customer.sendMessage(room, 'warm up', 'index-warm-0');
  await staff.sendMessage(room, 'warm up', 'index-warm-1');

  const totals = new Map<
    string,
    { count: number; read: number; write: number; calls: number; index: Record<string, number> }
  >();
  const measure = async (operation: string, run: () => Promise<unknown>) => {
    const before: Snapshot = await snapshot(db, table);
    stack.dynamo.resetStats();
    await run();
    const units = stack.dynamo.units();
    const calls = Object.values(stack.dynamo.stats()).reduce((a, b) => a + b, 0);
    const after: Snapshot = await snapshot(db, table);
    const index = indexUnitsBetween(before, after, [...CURRENT, BEFORE]);
    const total = totals.get(operation) ?? { count: 0, read: 0, write: 0, calls: 0, index: {} };
    total.count += 1;
    total.read += units.read;
    total.write += units.write;
    total.calls += calls;
    for (const [name, n] of Object.entries(index)) total.index[name] = (total.index[name] ?? 0) + n;
    totals.set(operation, total);
  };

  const content = (i: number) => `${i} `.padEnd(input.length, 'x');
  for (let i = 0; i < input.messages; i++) {
    const [sender, reader] = i % 2 ? [staff, customer] : [customer, staff];
    let id = 0;
    await measure(`message (${input.length} chars, HTTP)`, async () => {
      id = (await sender.sendMessage(room, content(i), `index-cost-${i}`)).message.id;
    });
    await measure('mark_read (HTTP)', () => reader.markRead(room, id));
  }

  for (const socket of sockets) socket.close();
  const final = await snapshot(db, table);
  const roomItem = final.get(`ROOM#${room}\u0000ROOM`);
  if (!roomItem) throw new Error('the room item is gone');
  const entryBytes = Object.fromEntries(
    [...CURRENT, BEFORE].flatMap((index) => {
      const entry = indexEntry(roomItem, index);
      return entry ? [[index.name, entrySize(entry)]] : [];
    }),
  );
  return {
    operations: [...totals].map(([operation, t]) => ({
      operation,
      count: t.count,
      readUnits: t.read / t.count,
      tableWriteUnits: t.write / t.count,
      indexWriteUnits: Object.fromEntries(Object.entries(t.index).map(([name, n]) => [name, n / t.count])),
      calls: t.calls / t.count,
    })),
    roomItemBytes: itemSize(roomItem),
    entryBytes,
    currentIndexes: CURRENT.map((index) => index.name),
  };
}

/** The cost table's rows: per operation, units on the table, on each index, and in all. */
export function indexCostRows(cost: IndexCost): { header: string[]; rows: string[][] } {
  const fmt = (n: number) => n.toFixed(2);
  const header = [
    'operation',
    'read units',
    'table write units',
    ...cost.currentIndexes.map((name) => `${name} write units`),
    'write units, all counted',
    'DynamoDB calls',
    'gsi2 write units (before)',
  ];
  const rows = cost.operations.map((op) => {
    const current = cost.currentIndexes.map((name) => op.indexWriteUnits[name] ?? 0);
    return [
      `${op.operation} ×${op.count}`,
      fmt(op.readUnits),
      fmt(op.tableWriteUnits),
      ...current.map(fmt),
      fmt(op.tableWriteUnits + current.reduce((a, b) => a + b, 0)),
      op.calls.toFixed(1),
      fmt(op.indexWriteUnits[BEFORE.name] ?? 0),
    ];
  });
  return { header, rows };
}
