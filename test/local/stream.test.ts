import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  PutItemCommand,
  type AttributeValue as SdkAttributeValue,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { streamConsumers } from '../../lambdas/contract/routes.js';
import { QUEUE_RECORD_FILTER, type RecordFilter, STREAM_MAPPING } from '../../lambdas/contract/stream.js';
import { LambdaRuntime } from '../../local/lambda-runtime.js';
import { LocalStream, type LocalStreamSettings } from '../../local/stream.js';
import { itemSize, shardOf, toStreamRecord } from '../../local/stream-records.js';
import { failNext, invocations, releaseHung, reset } from '../fixtures/stream-lambdas/recorder.js';
import { useLocalStack } from '../support/stack.js';
import { useTable } from '../support/table.js';

const handlersDir = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'stream-lambdas',
);
const TABLE = 'stream-fixture';
const OTHER_TABLE = 'stream-other';
const TIMEOUT_MS = 300;

const runtime = new LambdaRuntime({
  handlersDir,
  timeoutMs: TIMEOUT_MS,
  onError: () => undefined,
  platformLog: () => undefined,
});
const local = useTable(TABLE);

beforeAll(async () => {
  await local.client.send(
    new CreateTableCommand({
      TableName: OTHER_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
});

/** The stream under test: a fresh one per test, fed by the real proxy, read by the recorder fixture. */
let current: { stream: LocalStream; unwatch: () => void } | undefined;
function openStream(settings: LocalStreamSettings = {}, filter?: RecordFilter): LocalStream {
  const stream = new LocalStream({
    runtime,
    tableName: TABLE,
    region: 'us-east-1',
    batchWindowMs: 'manual',
    ...settings,
  });
  stream.consume('recorder', filter);
  current = { stream, unwatch: local.dynamo.watchChanges(TABLE, (change) => stream.publish(change)) };
  return stream;
}
afterEach(async () => {
  current?.unwatch();
  releaseHung();
  await current?.stream.close();
  current = undefined;
  reset();
});

let itemCount = 0;
/** A key no other test uses. */
const newKey = (prefix = 'ITEM') => ({ pk: { S: `${prefix}#${++itemCount}` }, sk: { S: 'META' } });
const put = (item: Record<string, SdkAttributeValue>, table = TABLE) =>
  local.client.send(new PutItemCommand({ TableName: table, Item: item }));
const recordsSeen = () => invocations.flatMap((i) => i.records);
const keyOfRecord = (r: DynamoDBRecord) => r.dynamodb?.Keys?.pk?.S;
const sizes = () => invocations.map((i) => [i.records.length, i.outcome]);

describe('local stream records', () => {
  it('writes INSERT, MODIFY and REMOVE records with keys, images, size and increasing sequence numbers', async () => {
    const stream = openStream({ shards: 1 });
    const key = newKey();
    await put({ ...key, body: { S: 'hello' } });
    await local.client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key,
        UpdateExpression: 'SET body = :b, n = :n',
        ExpressionAttributeValues: { ':b': { S: 'bye' }, ':n': { N: '7' } },
      }),
    );
    await local.client.send(new DeleteItemCommand({ TableName: TABLE, Key: key }));
    await stream.flush();

    expect(sizes()).toEqual([[3, 'ok']]);
    const [insert, modify, remove] = recordsSeen();
    const common = {
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      awsRegion: 'us-east-1',
      eventSourceARN: stream.streamArn,
    };
    const first = { ...key, body: { S: 'hello' } };
    const second = { ...key, body: { S: 'bye' }, n: { N: '7' } };
    expect(insert).toMatchObject({ ...common, eventName: 'INSERT' });
    expect(insert?.dynamodb).toEqual({
      ApproximateCreationDateTime: expect.any(Number),
      Keys: key,
      NewImage: first,
      SequenceNumber: expect.stringMatching(/^\d{21}$/),
      SizeBytes: itemSize(key) + itemSize(first),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(modify).toMatchObject({ ...common, eventName: 'MODIFY' });
    expect(modify?.dynamodb).toMatchObject({ Keys: key, OldImage: first, NewImage: second });
    expect(modify?.dynamodb?.SizeBytes).toBe(itemSize(key) + itemSize(first) + itemSize(second));
    expect(remove).toMatchObject({ ...common, eventName: 'REMOVE' });
    expect(remove?.dynamodb).toMatchObject({ Keys: key, OldImage: second });
    expect(remove?.dynamodb).not.toHaveProperty('NewImage');
    const sequence = recordsSeen().map((r) => BigInt(r.dynamodb?.SequenceNumber ?? '0'));
    expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(recordsSeen().map((r) => r.eventID)).size).toBe(3);
    expect(Math.abs((insert?.dynamodb?.ApproximateCreationDateTime ?? 0) - Date.now() / 1000)).toBeLessThan(
      60,
    );
  });

  it.each([
    ['INSERT', { Id: { N: '101' } }, undefined, { Message: { S: 'New item!' }, Id: { N: '101' } }, 26],
    [
      'MODIFY',
      { Id: { N: '101' } },
      { Message: { S: 'New item!' }, Id: { N: '101' } },
      { Message: { S: 'This item has changed' }, Id: { N: '101' } },
      59,
    ],
  ] as const)(
    'sizes the %s example of AWS’s documentation as AWS does (%#)',
    (_name, keys, oldImage, newImage, size) => {
      const record = toStreamRecord(
        { tableName: TABLE, keys, oldImage, newImage },
        { region: 'us-west-2', streamArn: 'arn', sequenceNumber: '1', at: 0 },
      );
      expect(record?.dynamodb.SizeBytes).toBe(size);
    },
  );

  it.each<[string, AttributeValue, number]>([
    [
      'a list and a map',
      { L: [{ S: 'ab' }, { M: { k: { N: '12345' } } }] },
      3 + (1 + 2) + (1 + 3 + (1 + 1 + 4)),
    ],
    ['a string set', { SS: ['a', 'bcd'] }, 4],
    ['binary', { B: Buffer.from('four').toString('base64') }, 4],
    ['a boolean', { BOOL: false }, 1],
  ])('sizes %s by DynamoDB’s item size rules', (_name, value, size) => {
    expect(itemSize({ v: value })).toBe(1 + size);
  });

  it('writes no record for a refused condition, a write that changes nothing, or another table', async () => {
    const stream = openStream({ shards: 1 });
    const key = newKey();
    const item = { ...key, body: { S: 'same' }, tags: { SS: ['a', 'b'] } };
    await put(item);
    await stream.flush();
    reset();

    await expect(
      local.client.send(
        new PutItemCommand({ TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await put({ ...key, tags: { SS: ['b', 'a'] }, body: { S: 'same' } });
    await local.client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key,
        UpdateExpression: 'SET body = :b',
        ExpressionAttributeValues: { ':b': { S: 'same' } },
      }),
    );
    await local.client.send(new DeleteItemCommand({ TableName: TABLE, Key: newKey() }));
    // dynalite does not know TransactWriteItems: the refused request changes nothing, so no record.
    await expect(
      local.client.send(
        new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName: TABLE, Item: newKey() } }] }),
      ),
    ).rejects.toThrow();
    await expect(put({ pk: { S: 'NO-SORT-KEY' } })).rejects.toMatchObject({ name: 'ValidationException' });
    await put(newKey(), OTHER_TABLE);
    await stream.flush();

    expect(invocations).toEqual([]);
    expect(stream.stats()).toMatchObject({ records: 1, batches: 1, invocations: 1 });
  });

  it("drops the records its mapping's filter refuses before batching", async () => {
    const stream = openStream({ batchSize: 2 }, QUEUE_RECORD_FILTER);
    const room = newKey('ROOM');
    await put({ ...room, sk: { S: 'ROOM' }, v: { N: '1' } });
    await put({ pk: room.pk, sk: { S: 'MSG#000000000001' } });
    await put({ pk: room.pk, sk: { S: 'CMID#alice#c-1' } });
    await put({ pk: room.pk, sk: { S: 'MEMBER#alice' } });
    await put({ ...room, sk: { S: 'ROOM' }, v: { N: '2' } });
    await local.client.send(
      new DeleteItemCommand({ TableName: TABLE, Key: { pk: room.pk, sk: { S: 'ROOM' } } }),
    );
    await put({ ...room, sk: { S: 'ROOM' }, v: { N: '3' } });
    await stream.flush();
    // Three records pass (the room's writes; not the other items, not the removal): batches of at most 2.
    expect(recordsSeen().map((r) => [r.eventName, r.dynamodb?.Keys?.sk?.S])).toEqual([
      ['INSERT', 'ROOM'],
      ['MODIFY', 'ROOM'],
      ['INSERT', 'ROOM'],
    ]);
    expect(sizes().map(([size]) => size)).toEqual([2, 1]);
  });

  it('records every item of a BatchWriteItem, puts and deletes', async () => {
    const stream = openStream({ shards: 1 });
    const gone = newKey();
    await put(gone);
    await stream.flush();
    reset();
    const added = [newKey(), newKey(), newKey()];
    await local.client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [...added.map((Item) => ({ PutRequest: { Item } })), { DeleteRequest: { Key: gone } }],
        },
      }),
    );
    await stream.flush();
    expect(recordsSeen().map((r) => [r.eventName, keyOfRecord(r)])).toEqual([
      ...added.map((k) => ['INSERT', k.pk.S]),
      ['REMOVE', gone.pk.S],
    ]);
  });

  it('records a write whose answer was lost, and none for a write that failed before it applied', async () => {
    const stream = openStream({ shards: 1 });
    const lost = newKey();
    const refused = newKey();
    const fired = local.dynamo.injectFault({
      match: (op, request) => op === 'PutItem' && JSON.stringify(request.Item).includes(lost.pk.S),
      after: true,
    });
    await expect(put(lost)).rejects.toMatchObject({ name: 'InternalServerError' });
    await fired;
    const failed = local.dynamo.injectFault({
      match: (op, request) => op === 'PutItem' && JSON.stringify(request.Item).includes(refused.pk.S),
    });
    await expect(put(refused)).rejects.toMatchObject({ name: 'InternalServerError' });
    await failed;
    await stream.flush();
    expect(recordsSeen().map(keyOfRecord)).toEqual([lost.pk.S]);
  });
});

describe('local stream order and shards', () => {
  it('keeps one item’s records in write order under concurrent writes, each old image the previous new one', async () => {
    const stream = openStream({ shards: 3 });
    const key = newKey();
    const others = [newKey(), newKey()];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        Promise.all([
          local.client.send(
            new UpdateItemCommand({
              TableName: TABLE,
              Key: key,
              UpdateExpression: 'ADD n :one',
              ExpressionAttributeValues: { ':one': { N: '1' } },
            }),
          ),
          put({ ...others[i % 2]!, i: { N: String(i) } }),
        ]),
      ),
    );
    await stream.flush();

    const mine = recordsSeen().filter((r) => keyOfRecord(r) === key.pk.S);
    expect(mine.map((r) => r.dynamodb?.NewImage?.n?.N)).toEqual(
      Array.from({ length: 30 }, (_, i) => String(i + 1)),
    );
    expect(mine.map((r) => r.dynamodb?.OldImage?.n?.N)).toEqual([
      undefined,
      ...Array.from({ length: 29 }, (_, i) => String(i + 1)),
    ]);
    for (const other of others) {
      const theirs = recordsSeen().filter((r) => keyOfRecord(r) === other.pk.S);
      expect(theirs).toHaveLength(15);
      for (const [i, r] of theirs.slice(1).entries()) {
        expect(r.dynamodb?.OldImage).toEqual(theirs[i]?.dynamodb?.NewImage);
      }
    }
  });

  it('puts an item’s records always in the same shard, in increasing sequence order per shard', async () => {
    const stream = openStream({ shards: 4 });
    const keys = Array.from({ length: 24 }, () => newKey('SHARD'));
    for (let round = 0; round < 2; round++) {
      await Promise.all(keys.map((key) => put({ ...key, round: { N: String(round) } })));
    }
    await stream.flush();

    const shardOfKey = new Map(keys.map((k) => [k.pk.S, stream.shardIdFor(k)]));
    expect(new Set(shardOfKey.values()).size).toBeGreaterThan(1);
    const seenIn = new Map<string, string[]>();
    for (const invocation of invocations) {
      // One batch holds one shard's records, in the shard's order.
      const shards = new Set(invocation.records.map((r) => shardOfKey.get(keyOfRecord(r) ?? '')));
      expect(shards.size).toBe(1);
      const sequence = invocation.records.map((r) => BigInt(r.dynamodb?.SequenceNumber ?? '0'));
      expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : 1)));
      for (const r of invocation.records)
        seenIn.set(keyOfRecord(r) ?? '', [...(seenIn.get(keyOfRecord(r) ?? '') ?? []), r.eventName ?? '']);
    }
    for (const key of keys) expect(seenIn.get(key.pk.S)).toEqual(['INSERT', 'MODIFY']);
    const perShard = stream.stats().shards.map((s) => s.records);
    expect(perShard).toEqual(
      stream.shardIds.map((id) => 2 * [...shardOfKey.values()].filter((s) => s === id).length),
    );
    // The hash depends on the partition key only: the same in another stream (another run) with as many shards.
    expect(shardOf(keys[0]!, 'pk', 4)).toBe(shardOf({ pk: keys[0]!.pk, sk: { S: 'OTHER' } }, 'pk', 4));
  });
});

describe('local stream batching', () => {
  it('cuts batches only on flush with a manual window, one per shard that has records', async () => {
    const stream = openStream({ shards: 4 });
    const keys = Array.from({ length: 12 }, () => newKey('BATCH'));
    await Promise.all(keys.map((key) => put(key)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(invocations).toEqual([]);
    expect(stream.stats().shards.reduce((n, s) => n + s.pending, 0)).toBe(12);

    await stream.flush();
    const busyShards = new Set(keys.map((k) => stream.shardIdFor(k))).size;
    expect(invocations).toHaveLength(busyShards);
    expect(stream.stats()).toMatchObject({ batches: busyShards, records: 12, invocations: busyShards });

    await stream.flush();
    expect(invocations).toHaveLength(busyShards);
    await put({ ...keys[0]!, again: { BOOL: true } });
    await stream.flush();
    expect(invocations).toHaveLength(busyShards + 1);
    expect(invocations.at(-1)?.records.map((r) => r.eventName)).toEqual(['MODIFY']);
  });

  it('cuts a full batch at the batch size', async () => {
    const stream = openStream({ shards: 1, batchSize: 3 });
    for (let i = 0; i < 7; i++) await put(newKey());
    await stream.flush();
    expect(sizes()).toEqual([
      [3, 'ok'],
      [3, 'ok'],
      [1, 'ok'],
    ]);
    expect(stream.stats()).toMatchObject({ batches: 3, records: 7, invocations: 3, failedInvocations: 0 });
  });

  it('invokes once the window since the first record passed, with what gathered meanwhile', async () => {
    openStream({ shards: 1, batchWindowMs: 200 });
    const keys = [newKey(), newKey(), newKey()];
    await local.client.send(
      new BatchWriteItemCommand({
        RequestItems: { [TABLE]: keys.map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
    expect(invocations).toEqual([]);
    await expect.poll(() => invocations.length, { timeout: 5_000 }).toBe(1);
    expect(sizes()).toEqual([[3, 'ok']]);
  });

  it('does not wait for the window when the batch is full', async () => {
    const stream = openStream({ shards: 1, batchWindowMs: 600_000, batchSize: 2 });
    const keys = [newKey(), newKey(), newKey(), newKey(), newKey()];
    await local.client.send(
      new BatchWriteItemCommand({
        RequestItems: { [TABLE]: keys.map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
    await expect.poll(() => invocations.length, { timeout: 5_000 }).toBe(2);
    expect(sizes()).toEqual([
      [2, 'ok'],
      [2, 'ok'],
    ]);
    expect(stream.stats().shards[0]?.pending).toBe(1);
    await stream.flush();
    expect(sizes().at(-1)).toEqual([1, 'ok']);
  });

  it('defaults to the deployed mapping’s settings', () => {
    const stream = new LocalStream({ runtime, tableName: TABLE });
    expect(stream.config).toEqual({
      batchWindowMs: STREAM_MAPPING.batchWindowSeconds * 1000,
      batchSize: STREAM_MAPPING.batchSize,
      maxRetries: STREAM_MAPPING.maxRetries,
      shards: 2,
    });
    expect(STREAM_MAPPING).toMatchObject({
      batchWindowSeconds: 1,
      batchSize: 1000,
      maxRetries: 2,
      bisectOnError: true,
    });
  });
});

describe('local stream failures', () => {
  it('splits a failing batch, retries the bad record alone, sends it to the on-failure queue and moves on', async () => {
    const stream = openStream({ shards: 1, maxRetries: 2 });
    const keys = [newKey(), newKey(), newKey(), newKey()];
    for (const [i, key] of keys.entries()) await put(i === 2 ? { ...key, fail: { S: 'always' } } : key);
    await stream.flush();

    expect(invocations.map((i) => [i.records.map(keyOfRecord), i.outcome])).toEqual([
      [keys.map((k) => k.pk.S), 'failed'],
      [[keys[0]!.pk.S, keys[1]!.pk.S], 'ok'],
      [[keys[2]!.pk.S, keys[3]!.pk.S], 'failed'],
      [[keys[2]!.pk.S], 'failed'],
      [[keys[2]!.pk.S], 'failed'],
      [[keys[2]!.pk.S], 'failed'],
      [[keys[3]!.pk.S], 'ok'],
    ]);
    const bad = invocations[3]!.records[0]!;
    expect(stream.failures()).toEqual([
      {
        requestContext: {
          requestId: expect.any(String),
          functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:local-recorder',
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: 3,
        },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        DDBStreamBatchInfo: {
          shardId: stream.shardIds[0],
          startSequenceNumber: bad.dynamodb?.SequenceNumber,
          endSequenceNumber: bad.dynamodb?.SequenceNumber,
          approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          approximateArrivalOfLastRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          batchSize: 1,
          streamArn: stream.streamArn,
        },
      },
    ]);
    expect(stream.stats()).toMatchObject({
      batches: 1,
      records: 4,
      invocations: 7,
      failedInvocations: 5,
      givenUp: 1,
    });

    reset();
    const next = newKey();
    await put(next);
    await stream.flush();
    expect(invocations.map((i) => [i.records.map(keyOfRecord), i.outcome])).toEqual([[[next.pk.S], 'ok']]);
  });

  it('skips no record after a passing failure: the halves succeed', async () => {
    const stream = openStream({ shards: 1 });
    const keys = [newKey(), newKey(), newKey()];
    for (const key of keys) await put(key);
    failNext(1);
    await stream.flush();
    expect(invocations.map((i) => [i.records.map(keyOfRecord), i.outcome])).toEqual([
      [keys.map((k) => k.pk.S), 'failed'],
      [[keys[0]!.pk.S, keys[1]!.pk.S], 'ok'],
      [[keys[2]!.pk.S], 'ok'],
    ]);
    expect(stream.failures()).toEqual([]);
  });

  it('gives up after the first failure alone with no retries', async () => {
    const stream = openStream({ shards: 1, maxRetries: 0 });
    await put({ ...newKey(), fail: { S: 'always' } });
    await stream.flush();
    expect(sizes()).toEqual([[1, 'failed']]);
    expect(stream.failures().map((f) => f.requestContext.approximateInvokeCount)).toEqual([1]);
  });

  it('counts a handler timeout as a failure', async () => {
    const stream = openStream({ shards: 1, maxRetries: 1 });
    const key = newKey();
    await put({ ...key, hang: { BOOL: true } });
    await stream.flush();
    expect(sizes()).toEqual([
      [1, 'hung'],
      [1, 'hung'],
    ]);
    expect(stream.stats()).toMatchObject({ invocations: 2, failedInvocations: 2, givenUp: 1 });
    expect(stream.failures()).toHaveLength(1);
  });
});

describe('local stack stream', () => {
  const stack = useLocalStack({ stream: { batchWindowMs: 'manual', shards: 2 } });

  it('gives the stack a stream with a mapping per stream consumer and the settings asked for', async () => {
    const { stream } = stack.current;
    expect(stream).toBeInstanceOf(LocalStream);
    expect(stream.consumers).toEqual(streamConsumers.map((c) => c.handler));
    expect(stream.config).toMatchObject({ batchWindowMs: 'manual', shards: 2 });
    expect(stream.streamArn).toContain(`:table/${stack.current.tableName}/stream/`);
    await stream.flush();
    expect(stream.failures()).toEqual([]);
  });
});
