/**
 * `npm run bench`: what one chat message costs as the system grows, and how fast it reaches a room.
 *
 * 1. DynamoDB request units and calls per message sent in a 2-person room while the live connections in the
 *    table grow 10 -> 1,000 -> 10,000 (written straight to the table), beside the baseline that fans out by
 *    scanning every connection, as AWS's well-known simple-websockets-chat-app sample does.
 * 2. Delivery time of one message to a room followed by 1 / 10 / 100 / 1,000 sockets on the local stack.
 * 3. The staff queue at scale (bench/queue.ts): queue followers 1 / 10 / 100, stream shards 1 / 2 / 4.
 *
 * Not part of `npm test`: it takes a few minutes and its times depend on the machine.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import WebSocket from 'ws';
import { ChatHttp, ChatSocket, type ChatSocketOptions, tokenAuth } from '../client/index.js';
import { keys } from '../lambdas/storage/keys.js';
import { repoRoot } from '../local/lambda-runtime.js';
import { startLocalStack } from '../local/stack.js';
import { type IndexCost, indexCostRows, measureIndexCost } from './index-cost.js';
import { BENCH_RATE_LIMITS, table } from './report.js';

const SIZES = [10, 1_000, 10_000];
const ROOM_SIZES = [1, 10, 100, 1_000];
const MESSAGES_PER_SIZE = 20;
const QUEUE_SHARDS = [1, 2, 4];

const run = promisify(execFile);
const keyDir = await mkdtemp(path.join(tmpdir(), 'live-chat-bench-'));
// PostToConnection calls, counted off the local management API's request log.
let posts = 0;
const stack = await startLocalStack({
  httpPort: 0,
  wsPort: 0,
  keyDir,
  // The staff queue's stream consumer is measured by bench/queue.ts; here no batch is cut, so the counts
  // are the sends' alone.
  stream: { batchWindowMs: 'manual' },
  // One customer sends every message: limits far above that, still counted (one write per message).
  environment: {
    RATE_LIMITS: BENCH_RATE_LIMITS,
  },
  log: (line) => {
    if (/^POST \S*@connections\//.test(line)) posts += 1;
  },
});
const db = new DynamoDBClient({ endpoint: stack.dynamo.endpoint });
const customer = await stack.issuer.mint({ userId: 'bench-customer' });
const staff = await stack.issuer.mint({ userId: 'bench-staff', staff: true });

const asCustomer = new ChatHttp({ baseUrl: stack.httpUrl, getToken: () => customer });
const asStaff = new ChatHttp({ baseUrl: stack.httpUrl, getToken: () => staff });

async function batchPut(table: string, items: Record<string, { S?: string; N?: string }>[]) {
  for (let i = 0; i < items.length; i += 25) {
    let pending: any = { [table]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    while (pending && Object.keys(pending).length > 0) {
      const result = await db.send(new BatchWriteItemCommand({ RequestItems: pending }));
      pending = result.UnprocessedItems;
    }
  }
}

/** Live connections of other users, each following one of many other rooms, written straight to the table. */
async function growConnections(from: number, to: number) {
  const ttl = String(Math.floor(Date.now() / 1000) + 7200);
  const items: Record<string, { S?: string; N?: string }>[] = [];
  const baseline: Record<string, { S?: string; N?: string }>[] = [];
  for (let i = from; i < to; i++) {
    const connectionId = `bench${String(i).padStart(7, '0')}=`;
    const userId = `user-${i}`;
    const roomId = `00000000-0000-4000-9000-${String(i % 5000).padStart(12, '0')}`;
    const common = {
      user_id: { S: userId },
      role: { S: 'customer' },
      connected_at: { N: String(Date.now()) },
      ttl: { N: ttl },
    };
    items.push({
      ...keyAttrs(keys.connection(connectionId)),
      connection_id: { S: connectionId },
      rooms: { S: roomId },
      ...common,
    });
    items.push({
      ...keyAttrs(keys.presence('customer', userId, connectionId)),
      connection_id: { S: connectionId },
      ...common,
    });
    items.push({
      ...keyAttrs(keys.subscription(roomId, connectionId)),
      connection_id: { S: connectionId },
      room_id: { S: roomId },
      ...common,
    });
    baseline.push({ connectionId: { S: connectionId } });
  }
  await batchPut(stack.tableName, items);
  await batchPut('bench-scan-baseline', baseline);
}

function keyAttrs(key: { pk: string; sk: string }) {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}

/** The baseline's fan-out read: Scan every connection (one page per 1 MB), as the AWS sample does. */
async function scanBaseline(): Promise<{ units: number; calls: number; connections: number }> {
  let units = 0;
  let calls = 0;
  let connections = 0;
  let start: any;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: 'bench-scan-baseline',
        ProjectionExpression: 'connectionId',
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    units += page.ConsumedCapacity?.CapacityUnits ?? 0;
    calls += 1;
    connections += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return { units, calls, connections };
}

/** A typed-client socket following `roomId`; resolves once the server confirmed the subscription. */
async function follower(http: ChatHttp, token: string, roomId: string): Promise<ChatSocket> {
  const socket = new ChatSocket({
    url: stack.wsUrl,
    http,
    auth: tokenAuth(() => token),
    // Node 20 has no global WebSocket; the `ws` package stands in.
    WebSocket: WebSocket as unknown as ChatSocketOptions['WebSocket'],
  });
  socket.connect();
  await socket.follow(roomId);
  return socket;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function costPerMessage() {
  await db.send(
    new CreateTableCommand({
      TableName: 'bench-scan-baseline',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'connectionId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
    }),
  );
  const room = (await asCustomer.createRoom({ subject: 'bench' })).id;
  await asStaff.joinRoom(room);
  const sockets = [await follower(asCustomer, customer, room), await follower(asStaff, staff, room)];
  const rows: string[][] = [];
  let grown = 0;
  for (const size of SIZES) {
    await growConnections(grown, size);
    grown = size;
    stack.dynamo.resetStats();
    posts = 0;
    for (let i = 0; i < MESSAGES_PER_SIZE; i++) {
      await (i % 2 ? asStaff : asCustomer).sendMessage(
        room,
        `Message ${i} of the benchmark, about as long as a real one.`,
        `bench-${size}-${i}`,
      );
    }
    const usage = stack.dynamo.units();
    const postsPerMessage = posts / MESSAGES_PER_SIZE;
    const calls = Object.values(stack.dynamo.stats()).reduce((a, b) => a + b, 0) / MESSAGES_PER_SIZE;
    const baseline = await scanBaseline();
    rows.push([
      String(size + 2),
      fmt(usage.read / MESSAGES_PER_SIZE),
      fmt(usage.write / MESSAGES_PER_SIZE),
      fmt(calls, 1),
      fmt(postsPerMessage, 1),
      fmt(baseline.units),
      String(baseline.calls),
      String(baseline.connections + 2),
    ]);
  }
  for (const socket of sockets) socket.close();
  return rows;
}

async function deliveryTimes() {
  const rows: string[][] = [];
  for (const size of ROOM_SIZES) {
    const room = (await asCustomer.createRoom({ subject: `delivery ${size}` })).id;
    const sockets: ChatSocket[] = [];
    for (let i = 0; i < size; i += 50) {
      sockets.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(50, size - i) }, () => follower(asCustomer, customer, room)),
        )),
      );
    }
    const latencies: number[] = [];
    const totals: number[] = [];
    for (let m = 0; m < 5; m++) {
      const content = `delivery ${size} #${m}`;
      const arrivals = sockets.map(
        (socket) =>
          new Promise<number>((resolve) => {
            const off = socket.on('message', (message) => {
              if (message.content !== content) return;
              off();
              resolve(performance.now());
            });
          }),
      );
      const sent = performance.now();
      await asStaff.sendMessage(room, content);
      const times = (await Promise.all(arrivals)).map((t) => t - sent);
      latencies.push(...times);
      totals.push(Math.max(...times));
    }
    rows.push([
      String(size),
      fmt(percentile(latencies, 50), 1),
      fmt(percentile(latencies, 95), 1),
      fmt(percentile(totals, 50), 1),
    ]);
    for (const socket of sockets) socket.close();
  }
  return rows;
}

/**
 * The staff queue's tables (bench/queue.ts), each stream shard count in a process of its own: the handlers
 * read their settings from the environment, so one process holds one stack.
 */
async function queueSection(): Promise<string> {
  const parts: string[] = [];
  for (const shards of QUEUE_SHARDS) {
    console.log(`Measuring the staff queue with ${shards} stream shard(s)...`);
    const { stdout } = await run(process.execPath, [
      '--import',
      'tsx',
      path.join(repoRoot, 'bench', 'queue.ts'),
      '--shards',
      String(shards),
    ]);
    parts.push(stdout.trim());
  }
  return `## The staff queue at scale (local stack)

Consoles follow the queue (\`{"type":"subscribe","queue":true}\`); each room's customer follows their room. The
first table of each run is the scale issue's scenario: 20 consoles, 10 customers sending 300 messages (30 per
room) as fast as 100 a second. The second sends 200 messages at 50 a second across 10 rooms. Units are what
dynalite reports for every call of the sends *and* the stream's consumer, per message (base table only; the
index counts are in the cost table above). API Gateway requests per second are the send requests, the posts
to the rooms' sockets and the queue frames at that rate; "before" is the same with one frame per console per
message, as the queue worked until the stream fed it. Frames per console grow with the stream's shards (one
batch per shard per 1 s window), not with messages; docs/operations.md has the budget at 100 and 1,000
messages a second.

${parts.join('\n\n')}
`;
}

const started = new Date();
console.log('Measuring DynamoDB units per message and per mark_read, every index counted...');
const INDEX_COST_MESSAGES = 20;
const MESSAGE_CHARS = 200;
const indexCost = await measureIndexCost({
  stack,
  db,
  customer: asCustomer,
  staff: asStaff,
  messages: INDEX_COST_MESSAGES,
  length: MESSAGE_CHARS,
  follow: (who, roomId) =>
    who === 'customer' ? follower(asCustomer, customer, roomId) : follower(asStaff, staff, roomId),
});
const indexCostTable = (() => {
  const { header, rows } = indexCostRows(indexCost);
  return table(header, rows);
})();
const sizes = (cost: IndexCost) =>
  `room item ${cost.roomItemBytes} bytes; its index entries (keys, table key, projection, 100 bytes overhead): ${Object.entries(
    cost.entryBytes,
  )
    .map(([name, bytes]) => `${name} ${bytes} bytes`)
    .join(', ')}`;
// `npm run bench -- --index-units`: this table alone, printed, docs/bench.md left as it is.
if (process.argv.includes('--index-units')) {
  console.log(`\n${indexCostTable}\n\n${sizes(indexCost)}\n`);
  await stack.stop();
  process.exit(0);
}
console.log('Measuring cost per message as live connections grow...');
const cost = await costPerMessage();
console.log('Measuring delivery time by room size...');
const delivery = await deliveryTimes();
await stack.stop();

const costTable = table(
  [
    'live connections',
    'read units / msg',
    'write units / msg',
    'DynamoDB calls / msg',
    'posts / msg',
    'scan baseline read units / msg',
    'scan pages / msg',
    'scan baseline posts / msg',
  ],
  cost,
);
const deliveryTable = table(
  ['sockets in room', 'p50 per socket (ms)', 'p95 per socket (ms)', 'p50 last socket (ms)'],
  delivery,
);
const report = `# Benchmark

Latest output of \`npm run bench\` (${started.toISOString()}, Node ${process.version}, ${process.platform}/${process.arch}).

## Cost of one message as the system grows

A 2-person room (one customer, one staff member, each with a socket); ${MESSAGES_PER_SIZE} messages per row, sent over
HTTP with a \`client_message_id\`, alternating sender. Request units are what DynamoDB (here dynalite) reports with
\`ReturnConsumedCapacity: TOTAL\` for every call the handlers make; the scan baseline is one full \`Scan\` of a
connections table holding the same number of connections, the fan-out read of AWS's simple-websockets-chat-app.

${costTable}

Each message queries the room's subscriptions and nothing else: consoles that follow the queue are served by the
table's stream, per batch, not per message (the staff-queue tables below). dynalite reports base-table units
only: the index units are in the next table. The figure is the same at every size.

## DynamoDB units per message and per \`mark_read\`, every index counted

A 2-person room (a customer and a staff member, each with a socket following it); ${INDEX_COST_MESSAGES} messages of
${MESSAGE_CHARS} characters over HTTP, alternating sender, each with a \`client_message_id\` (the gap-free send's claim)
and through the sender's limit counter; after each, the other person marks it read. Table units are what
dynalite reports; index units are computed from the items before and after each operation the way DynamoDB
bills them (\`bench/index-units.ts\`): an index write when an entry is put, deleted or has a projected attribute
changed, a delete and a put when its key changes, each one unit per started KB of the entry (keys, the table's
key, the projection, 100 bytes of overhead). The last column is what the open-rooms index before it (\`gsi2\`,
projection ALL, keyed by exact last activity) cost on the same writes. Read units as dynalite reports them: add
0.5 for the empty queue-followers Query (DynamoDB's minimum), which the push path stops making.

${indexCostTable}

Sizes at the end: ${sizes(indexCost)}. The room's \`gsi3\` entry moves when the hour of its last activity
changes: a delete and a put of that entry, 2 write units, at most once per room per hour (none in this run
unless it crossed an hour), so a room that exchanges *n* messages in an hour pays 2/*n* more per message.

## Delivery time by room size (local stack)

One staff member sends over HTTP; every socket in the room is the customer's. Time from the request to the
frame's arrival on each socket, 5 messages per row, on this machine; AWS adds network time and runs
\`PostToConnection\` calls from Lambda with the same bounded concurrency (32).

${deliveryTable}
`;
console.log(`\n${costTable}\n\n${deliveryTable}\n`);
const queue = await queueSection();
console.log(queue);
// In a process of its own, so that no stack or socket of this run shares its event loop.
const verified = execFileSync(
  process.execPath,
  ['--import', 'tsx', path.join(repoRoot, 'bench', 'verify-token.ts')],
  {
    encoding: 'utf8',
  },
);
const verifying = `## Verifying a bearer token in the function (\`npm run bench:auth\`)

Every route a customer may use verifies the bearer token in the function, against both issuers (docs/architecture.md,
"Who signs"); the staff-only routes re-read the header API Gateway's JWT authorizer verified. Per request, keys
cached (a warm container), on this machine:

\`\`\`
${verified.trim()}
\`\`\`
`;
console.log(verifying);
await writeFile(path.join(repoRoot, 'docs', 'bench.md'), `${report}\n${queue}\n${verifying}`);
console.log('Wrote docs/bench.md');
process.exit(0);
