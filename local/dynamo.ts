import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { tableSchema } from '../lambdas/contract/table-schema.js';

const READ_OPERATIONS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

export interface LocalDynamo {
  readonly endpoint: string;
  /** Requests per DynamoDB operation since start (or the last `resetStats`), as the server saw them. */
  stats(): Record<string, number>;
  /** Capacity units the server reported for those requests (callers ask with `ReturnConsumedCapacity`). */
  units(): { read: number; write: number };
  resetStats(): void;
  close(): Promise<void>;
}

export interface LocalDynamoOptions {
  /** A folder to keep the data in; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** Use this DynamoDB-compatible endpoint instead of the embedded one. */
  readonly endpoint?: string | undefined;
}

/**
 * Starts dynalite on an ephemeral loopback port (or uses `endpoint`), counting requests by operation, so
 * tests and the bench see exactly what the handlers asked of DynamoDB.
 */
export async function startDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const counts: Record<string, number> = {};
  const units = { read: 0, write: 0 };
  if (options.endpoint) {
    return {
      endpoint: options.endpoint,
      stats: () => ({}),
      units: () => ({ read: 0, write: 0 }),
      resetStats: () => undefined,
      close: async () => {},
    };
  }
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  server.on('request', (request, response) => {
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' ? target.split('.').pop() : undefined;
    if (!operation) return;
    counts[operation] = (counts[operation] ?? 0) + 1;
    // Read the consumed capacity off the response, so the count covers every caller in this process.
    const chunks: Buffer[] = [];
    const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
    response.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as string));
      tallyUnits(operation, Buffer.concat(chunks).toString('utf8'));
      return end(chunk, ...rest);
    }) as ServerResponse['end'];
  });
  const tallyUnits = (operation: string, body: string) => {
    if (!body.includes('ConsumedCapacity')) return;
    try {
      const consumed = (JSON.parse(body) as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      for (const entry of Array.isArray(consumed) ? consumed : [consumed]) {
        const value = (entry as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0;
        if (READ_OPERATIONS.has(operation)) units.read += value;
        else units.write += value;
      }
    } catch {
      // Not JSON: an error page; nothing consumed.
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ ...counts }),
    units: () => ({ ...units }),
    resetStats: () => {
      for (const key of Object.keys(counts)) delete counts[key];
      units.read = 0;
      units.write = 0;
    },
    close: () => {
      // Idempotent: a test may stop the database to cause an outage before the stack stops it again.
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}

/** Creates the chat table from the shared schema unless it exists. TTL is not emulated: reads check `ttl`. */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint });
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const { partitionKey, sortKey, globalSecondaryIndexes } = tableSchema;
  const attributes = new Map<string, string>([
    [partitionKey.name, partitionKey.type],
    [sortKey.name, sortKey.type],
  ]);
  for (const index of globalSecondaryIndexes) {
    attributes.set(index.partitionKey.name, index.partitionKey.type);
    attributes.set(index.sortKey.name, index.sortKey.type);
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
        AttributeName,
        AttributeType: AttributeType as 'S',
      })),
      KeySchema: [
        { AttributeName: partitionKey.name, KeyType: 'HASH' },
        { AttributeName: sortKey.name, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projection },
      })),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: tableName });
  client.destroy();
}
