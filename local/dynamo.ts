import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
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
import { type FaultKind, FaultPlan, type FaultSchedule } from './faults.js';
import { ChangeCapture, WRITE_OPERATIONS } from './stream-capture.js';
import type { ItemChange, WireItem } from './stream-records.js';

const READ_OPERATIONS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

export interface LocalDynamo {
  readonly endpoint: string;
  /** Requests per DynamoDB operation since start (or the last `resetStats`), as the server saw them. */
  stats(): Record<string, number>;
  /** Capacity units the server reported for those requests (callers ask with `ReturnConsumedCapacity`). */
  units(): { read: number; write: number };
  resetStats(): void;
  /**
   * Answers the next matching request(s) with a DynamoDB error instead of forwarding them, so a test can fail
   * one step of a multi-step change. Resolves once the last of them has been answered.
   */
  injectFault(fault: DynamoFault): Promise<void>;
  /**
   * Fails a seeded share of the requests from now on (see {@link FaultSchedule}), until called again;
   * `undefined` stops it. One-shot faults from `injectFault` go first.
   */
  faults(schedule: FaultSchedule | undefined): void;
  /** How many requests the current schedule has failed, per kind, and let through (`pass`). */
  faultCounts(): Record<FaultKind | 'pass', number>;
  /**
   * Calls `listener` with every change a write applies to an item of `tableName`, in the order applied, with
   * the item before and after (the local stream's source, `local/stream.ts`); returns a function that stops
   * it. Writes of a watched table's items are serialized per item; with nothing watched the proxy is as before.
   */
  watchChanges(tableName: string, listener: (change: ItemChange) => void): () => void;
  close(): Promise<void>;
}

/** A fault to inject: which requests fail, and how. */
export interface DynamoFault {
  /** Picks the requests that fail, by DynamoDB operation (`BatchWriteItem`) and request body. */
  readonly match: (operation: string, request: Record<string, unknown>) => boolean;
  /**
   * DynamoDB's error type; `InternalServerError` answers 500 (which the SDK retries), anything else 400.
   * @default 'InternalServerError'
   */
  readonly type?: string;
  /** How many matching requests fail (the SDK retries a 500, not a 400). @default 1 */
  readonly times?: number;
  /**
   * Forward the request to the database first and answer the error anyway: the write applied but its response
   * was lost (a 5xx or a dropped connection after the fact), which is what makes a retried write apply twice.
   * @default false
   */
  readonly after?: boolean;
}

export interface LocalDynamoOptions {
  /** A folder to keep the data in; in memory when absent. */
  readonly dataDir?: string | undefined;
  /** Use this DynamoDB-compatible endpoint instead of the embedded one. */
  readonly endpoint?: string | undefined;
}

/**
 * Starts dynalite behind a small proxy on an ephemeral loopback port (or uses `endpoint`). The proxy counts
 * requests and consumed capacity by operation, so tests and the bench see exactly what the handlers asked of
 * DynamoDB, and fills in what dynalite leaves out but DynamoDB does: the item a refused conditional write saw
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so the code path that AWS exercises runs here too, and
 * the item changes a table's stream would carry (`watchChanges`, read around each write, see
 * `stream-capture.ts`), which dynalite has no stream for.
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
      injectFault: () => Promise.reject(new Error('Faults are injected only into the embedded DynamoDB')),
      faults: () => {
        throw new Error('Faults are injected only into the embedded DynamoDB');
      },
      faultCounts: () => ({ pass: 0, error: 0, throttle: 0, drop: 0, lost: 0 }),
      watchChanges: () => {
        throw new Error('Changes are seen only in the embedded DynamoDB');
      },
      close: async () => {},
    };
  }
  const engine = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  await listen(engine);
  const enginePort = (engine.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true });

  const forward = (headers: IncomingMessage['headers'], body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: enginePort,
          method: 'POST',
          path: '/',
          headers: { ...headers, 'content-length': String(body.length) },
          agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 500,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const tallyUnits = (operation: string, body: string) => {
    if (!body.includes('ConsumedCapacity')) return;
    const consumed = (JSON.parse(body) as { ConsumedCapacity?: unknown }).ConsumedCapacity;
    for (const entry of Array.isArray(consumed) ? consumed : [consumed]) {
      const value = (entry as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0;
      if (READ_OPERATIONS.has(operation)) units.read += value;
      else units.write += value;
    }
  };

  /** DynamoDB returns the item a failed condition saw when asked to, and no item when there is none. */
  const withItemSeen = async (
    requestHeaders: IncomingMessage['headers'],
    request: Record<string, unknown>,
    body: string,
  ) => {
    if (
      request.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD' ||
      !body.includes('ConditionalCheckFailed')
    ) {
      return body;
    }
    const key = (request.Key ?? keyOf(request.Item)) as Record<string, unknown> | undefined;
    if (!key) return body;
    const get = await forward(
      { ...requestHeaders, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      Buffer.from(JSON.stringify({ TableName: request.TableName, Key: key, ConsistentRead: true })),
    );
    const item = (JSON.parse(get.body.toString('utf8')) as { Item?: unknown }).Item;
    return item ? JSON.stringify({ ...(JSON.parse(body) as object), Item: item }) : body;
  };

  const faults: { fault: DynamoFault; left: number; done: () => void }[] = [];
  /** The error that answers this request instead of DynamoDB, if a fault claims it. */
  const injected = (operation: string, requestBody: Buffer) => {
    if (faults.length === 0) return undefined;
    const request = JSON.parse(requestBody.toString('utf8')) as Record<string, unknown>;
    const entry = faults.find(({ fault }) => fault.match(operation, request));
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) {
      faults.splice(faults.indexOf(entry), 1);
      entry.done();
    }
    const type = entry.fault.type ?? 'InternalServerError';
    return {
      after: entry.fault.after === true,
      status: type === 'InternalServerError' ? 500 : 400,
      body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'Injected fault' }),
    };
  };

  const capture = new ChangeCapture();
  /** Forwards a request; a write of a watched table goes through the capture, which reads around it. */
  const apply = (operation: string, headers: IncomingMessage['headers'], body: Buffer) => {
    if (!capture.watching || !WRITE_OPERATIONS.has(operation)) return forward(headers, body);
    const read = async (tableName: string, key: WireItem) => {
      const get = await forward(
        { ...headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' },
        Buffer.from(JSON.stringify({ TableName: tableName, Key: key, ConsistentRead: true })),
      );
      if (get.status !== 200)
        throw new Error(`Reading ${tableName} for the stream: ${get.body.toString('utf8')}`);
      return (JSON.parse(get.body.toString('utf8')) as { Item?: WireItem }).Item;
    };
    return capture.around(
      operation,
      JSON.parse(body.toString('utf8')) as Record<string, unknown>,
      () => forward(headers, body),
      read,
    );
  };

  let plan: FaultPlan | undefined;
  const errorBody = (type: string) =>
    JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'Injected fault' });

  const proxy = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      try {
        const target = request.headers['x-amz-target'];
        const operation = typeof target === 'string' ? (target.split('.').pop() ?? '') : '';
        if (operation) counts[operation] = (counts[operation] ?? 0) + 1;
        const requestBody = Buffer.concat(chunks);
        const fault = operation ? injected(operation, requestBody) : undefined;
        if (fault?.after) await apply(operation, request.headers, requestBody);
        if (fault) {
          response.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.0' }).end(fault.body);
          return;
        }
        const scheduled =
          operation && plan?.applies(operation, () => JSON.parse(requestBody.toString('utf8')))
            ? plan.next()
            : undefined;
        if (scheduled && scheduled.delayMs > 0) await sleep(scheduled.delayMs);
        switch (scheduled?.kind) {
          case 'error':
            response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
            response.end(errorBody('InternalServerError'));
            return;
          case 'throttle':
            response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
            response.end(errorBody('ProvisionedThroughputExceededException'));
            return;
          case 'drop':
            request.socket.destroy();
            return;
          default:
        }
        const result = await apply(operation, request.headers, requestBody);
        if (scheduled?.kind === 'lost') {
          response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          response.end(errorBody('InternalServerError'));
          return;
        }
        let body = result.body.toString('utf8');
        if (operation && result.status === 200) tallyUnits(operation, body);
        if (operation && result.status === 400) {
          body = await withItemSeen(request.headers, JSON.parse(requestBody.toString('utf8')), body);
        }
        const headers = { ...result.headers, 'content-length': String(Buffer.byteLength(body)) };
        response.writeHead(result.status, headers).end(body);
      } catch (error) {
        response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'InternalServerError', message: String(error) }));
      }
    });
  });
  await listen(proxy);
  const { port } = proxy.address() as AddressInfo;
  const close = (server: Server) =>
    new Promise<void>((resolve, reject) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ ...counts }),
    units: () => ({ ...units }),
    resetStats: () => {
      for (const key of Object.keys(counts)) delete counts[key];
      units.read = 0;
      units.write = 0;
    },
    injectFault: (fault) => new Promise<void>((done) => faults.push({ fault, left: fault.times ?? 1, done })),
    faults: (schedule) => {
      plan = schedule ? new FaultPlan(schedule) : undefined;
    },
    faultCounts: () => plan?.counts() ?? { pass: 0, error: 0, throttle: 0, drop: 0, lost: 0 },
    watchChanges: (tableName, listener) => capture.watch(tableName, listener),
    // Idempotent: a test may stop the database to cause an outage before the stack stops it again.
    close: async () => {
      await close(proxy);
      await close(engine);
      agent.destroy();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

/** The primary key of an item in the chat table's schema. */
function keyOf(item: unknown): Record<string, unknown> | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const { partitionKey, sortKey } = tableSchema;
  const record = item as Record<string, unknown>;
  return { [partitionKey.name]: record[partitionKey.name], [sortKey.name]: record[sortKey.name] };
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
