import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import type { Room } from '../../lambdas/domain/types.js';
import { createDocumentClient, DynamoMeter } from '../../lambdas/storage/client.js';
import { DynamoStore, type DynamoStoreOptions } from '../../lambdas/storage/dynamo-store.js';
import { ensureTable, type LocalDynamo, startDynamo } from '../../local/dynamo.js';

/** The embedded DynamoDB of a test file, and the clients a test reaches it by. */
export interface TestDynamo {
  /** The running dynalite behind its proxy: faults, change feeds. */
  readonly dynamo: LocalDynamo;
  readonly endpoint: string;
  /** A low-level client with one attempt per call, so each answer the proxy gives reaches the test. */
  readonly client: DynamoDBClient;
  /** A document client as the handlers build it, counted by `meter` (a meter of its own if none is given). */
  db(meter?: DynamoMeter): DynamoDBDocumentClient;
}

/**
 * Starts one embedded DynamoDB for the test file and closes it afterwards, for tests that make their own
 * tables. The storage code reads its region, credentials and endpoint from the SDK's configuration, as in
 * Lambda, so this sets them in `process.env` (region and credentials only where unset).
 */
export function useDynamo(): TestDynamo {
  const holder: { dynamo?: LocalDynamo; client?: DynamoDBClient } = {};
  beforeAll(async () => {
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID ??= 'local';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
    holder.dynamo = await startDynamo();
    process.env.AWS_ENDPOINT_URL_DYNAMODB = holder.dynamo.endpoint;
    holder.client = new DynamoDBClient({
      endpoint: holder.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    holder.client?.destroy();
    await holder.dynamo?.close();
  });
  const running = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('The embedded DynamoDB is not running (use it inside a test)');
    return value;
  };
  return {
    get dynamo() {
      return running(holder.dynamo);
    },
    get endpoint() {
      return running(holder.dynamo).endpoint;
    },
    get client() {
      return running(holder.client);
    },
    db: (meter = new DynamoMeter()) => createDocumentClient(meter),
  };
}

/** What a test file's table holds besides its name. */
export interface TableOptions {
  /** The store over the table; without it the file reaches the table through `db` and `client` only. */
  readonly store?: Omit<DynamoStoreOptions, 'tableName'>;
  /** Counts the store's calls, for tests that assert what an operation costs. */
  readonly meter?: DynamoMeter;
}

/** A test file's table in its embedded DynamoDB. */
export interface TestTable extends TestDynamo {
  readonly name: string;
  /** The store `options.store` asked for, over a document client counted by `options.meter`. */
  readonly store: DynamoStore;
}

/**
 * Starts one embedded DynamoDB for the test file with the table `name` as the stack creates it (the
 * schema's keys and indexes), and the store over it if `options.store` is given; closes it afterwards.
 */
export function useTable(name: string, options: TableOptions = {}): TestTable {
  const local = useDynamo();
  let store: DynamoStore | undefined;
  beforeAll(async () => {
    await ensureTable(local.endpoint, name);
    if (options.store)
      store = new DynamoStore(local.db(options.meter), { tableName: name, ...options.store });
  });
  return {
    name,
    get dynamo() {
      return local.dynamo;
    },
    get endpoint() {
      return local.endpoint;
    },
    get client() {
      return local.client;
    },
    db: local.db,
    get store() {
      if (!store) throw new Error(`No store over ${name} (pass options.store, and use it inside a test)`);
      return store;
    },
  };
}

let rooms = 0;

/**
 * A new open room of alice's with no messages, its id and time (a second after the previous room's, from
 * 2026-01-01T00:00:00Z) its own: a file's rooms never collide and list in the order they were made. The
 * customer's read pointer follows `overrides.customerId`; the overrides say what a test is about.
 */
export function sampleRoom(overrides: Partial<Room> = {}): Room {
  rooms += 1;
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, rooms)).toISOString();
  const customerId = overrides.customerId ?? 'alice';
  return {
    id: `00000000-0000-4000-8000-${String(rooms).padStart(12, '0')}`,
    roomType: 'general',
    subject: 'Help',
    status: 'open',
    customerId,
    customerName: null,
    staffIds: [],
    createdAt: at,
    lastActivityAt: at,
    closedAt: null,
    closedBy: null,
    assigneeId: null,
    assignedAt: null,
    lastMessageId: 0,
    lastMessage: null,
    reads: new Map([[customerId, 0]]),
    version: 1,
    ...overrides,
  };
}
