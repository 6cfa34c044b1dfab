/**
 * The shapes the local stream hands out, as AWS writes them: the stream records of a `DynamoDBStreamEvent`
 * and the on-failure destination's invocation record. Pure functions: no I/O, no clock of their own.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { STREAM_MAPPING } from '../lambdas/contract/stream.js';

/** An item (or key) in DynamoDB's wire format, as GetItem returns it and stream records carry it. */
export type WireItem = Record<string, AttributeValue>;

/** One applied change of one item, as the proxy saw it (see `stream-capture.ts`). */
export interface ItemChange {
  readonly tableName: string;
  readonly keys: WireItem;
  /** The item before the write; absent when the write created it. */
  readonly oldImage?: WireItem | undefined;
  /** The item after the write; absent when the write deleted it. */
  readonly newImage?: WireItem | undefined;
}

/** A stream record with everything `DynamoDBRecord` leaves optional filled in, as AWS always sends it. */
export type StreamRecord = DynamoDBRecord & {
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly dynamodb: NonNullable<DynamoDBRecord['dynamodb']> & {
    readonly SequenceNumber: string;
    readonly Keys: WireItem;
  };
};

export interface RecordContext {
  readonly region: string;
  readonly streamArn: string;
  readonly sequenceNumber: string;
  /** When the record was written to the stream, epoch milliseconds. */
  readonly at: number;
}

/** The stream record of a change, or `undefined` when the write changed nothing (DynamoDB writes none). */
export function toStreamRecord(change: ItemChange, context: RecordContext): StreamRecord | undefined {
  const { oldImage, newImage } = change;
  const eventName = !oldImage ? 'INSERT' : !newImage ? 'REMOVE' : 'MODIFY';
  if (!oldImage && !newImage) return undefined;
  if (oldImage && newImage && sameItem(oldImage, newImage)) return undefined;
  return {
    eventID: randomUUID().replaceAll('-', ''),
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: context.region,
    eventSourceARN: context.streamArn,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(context.at / 1000),
      Keys: change.keys,
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      SequenceNumber: context.sequenceNumber,
      SizeBytes: itemSize(change.keys) + itemSize(newImage) + itemSize(oldImage),
      StreamViewType: STREAM_MAPPING.viewType,
    },
  };
}

/**
 * A stream's sequence numbers: 21 digits like AWS's (`800000000003126276362`), so they compare as strings
 * and as numbers alike, increasing in the order records are written.
 */
export function sequenceNumber(index: number): string {
  return `1${String(index).padStart(20, '0')}`;
}

/** A stream ARN as AWS names it: the table's ARN, `/stream/`, and the stream's creation time. */
export function streamArnOf(region: string, tableName: string, createdAt: number): string {
  const label = new Date(createdAt).toISOString().replace('Z', '');
  return `arn:aws:dynamodb:${region}:000000000000:table/${tableName}/stream/${label}`;
}

/** A shard id in AWS's format (`shardId-00000001573689847184-864758bb`). */
export function shardIdOf(createdAt: number, index: number): string {
  return `shardId-${String(createdAt).padStart(20, '0')}-${index.toString(16).padStart(8, '0')}`;
}

/**
 * The shard of an item: a hash of its partition key value, so every change of one item (and of one
 * partition) lands in the same shard and is read in order, as DynamoDB keeps a partition's changes together.
 */
export function shardOf(keys: WireItem, partitionKey: string, shards: number): number {
  const digest = createHash('md5')
    .update(JSON.stringify(keys[partitionKey] ?? null))
    .digest();
  return digest.readUInt32BE(0) % shards;
}

/**
 * An item's size by DynamoDB's rules (names and values in UTF-8 bytes, numbers by significant digits, 3 bytes
 * per list or map plus 1 per element), which is what AWS's `SizeBytes` adds up over keys and images: the
 * example record of AWS's documentation (`{"Id": {"N": "101"}, "Message": {"S": "New item!"}}`) is 26.
 */
export function itemSize(item: WireItem | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return Buffer.from(value.B, 'base64').length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS) return value.BS.reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
  if (value.L) return value.L.reduce((sum, element) => sum + 1 + valueSize(element), 3);
  if (value.M) {
    return Object.entries(value.M).reduce(
      (sum, [name, element]) => sum + 1 + utf8(name) + valueSize(element),
      3,
    );
  }
  return 0;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** DynamoDB stores numbers in base 100: one byte per two significant digits, plus one. */
function numberSize(n: string): number {
  const digits = n
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** Whether two items hold the same attributes, whatever order the engine keeps names and set elements in. */
export function sameItem(a: WireItem, b: WireItem): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([name, inner]) => {
        // Sets are unordered: compare their elements sorted.
        const element =
          (name === 'SS' || name === 'NS' || name === 'BS') && Array.isArray(inner)
            ? canonical([...inner].sort())
            : canonical(inner);
        return `${JSON.stringify(name)}:${element}`;
      });
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What the mapping sends to its on-failure destination for records it gave up on: their place in the shard,
 * not the records themselves (a consumer reads them from the stream with the sequence numbers), as AWS's
 * invocation record for a stream source.
 */
export interface StreamOnFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: 'Unhandled';
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

export interface FailedBatch {
  readonly records: readonly { readonly record: StreamRecord; readonly arrivedAt: number }[];
  readonly shardId: string;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly invocations: number;
  readonly at: number;
}

/** The on-failure destination's message for a batch the mapping gave up on. */
export function onFailureRecord(failed: FailedBatch): StreamOnFailureRecord {
  const first = failed.records[0];
  const last = failed.records[failed.records.length - 1];
  if (!first || !last) throw new Error('An on-failure record needs at least one stream record');
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: failed.functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: failed.invocations,
    },
    // A function error (a throw or a timeout) is still a 200 from Lambda's Invoke, flagged `Unhandled`.
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date(failed.at).toISOString(),
    DDBStreamBatchInfo: {
      shardId: failed.shardId,
      startSequenceNumber: first.record.dynamodb.SequenceNumber,
      endSequenceNumber: last.record.dynamodb.SequenceNumber,
      approximateArrivalOfFirstRecord: toSecond(first.arrivedAt),
      approximateArrivalOfLastRecord: toSecond(last.arrivedAt),
      batchSize: failed.records.length,
      streamArn: failed.streamArn,
    },
  };
}

/** AWS gives the arrival times to the second (`2019-11-14T00:13:19Z`). */
const toSecond = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
