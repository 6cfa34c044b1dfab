/**
 * The chat table's DynamoDB stream and its Lambda event source mappings, locally (dynalite has no streams).
 *
 * The proxy in front of dynalite reports each item change (`LocalDynamo.watchChanges`); the stream turns it
 * into the record AWS writes (`NEW_AND_OLD_IMAGES`), puts it in a shard chosen by the partition key, and
 * every consumer reads every shard like Lambda's poller does (`stream-shard.ts`): in order, one batch at a
 * time, through {@link LambdaRuntime} with the same handler files Lambda runs. Records a consumer gives up on
 * go to an on-failure {@link LocalQueue}, as the invocation record AWS sends there.
 *
 * @example
 * const stream = new LocalStream({ runtime, tableName, batchWindowMs: 'manual' });
 * stream.consume('stream/queue-summaries');
 * dynamo.watchChanges(tableName, (change) => stream.publish(change));
 * // ...writes...
 * await stream.flush(); // one batch per shard that has records, every invocation done
 */
import { passesFilter, type RecordFilter, STREAM_MAPPING } from '../lambdas/contract/stream.js';
import { tableSchema } from '../lambdas/contract/table-schema.js';
import type { LambdaRuntime } from './lambda-runtime.js';
import { LocalQueue } from './queue.js';
import {
  type ItemChange,
  onFailureRecord,
  type StreamOnFailureRecord,
  type StreamRecord,
  sequenceNumber,
  shardIdOf,
  shardOf,
  streamArnOf,
  toStreamRecord,
} from './stream-records.js';
import { type PendingRecord, ShardReader, type ShardReaderStats } from './stream-shard.js';

/** The mapping's settings a test or `npm start` may change; the rest is `STREAM_MAPPING`. */
export interface LocalStreamSettings {
  /**
   * How long a shard gathers records before it invokes, from the first one; `'manual'`: batches are cut
   * only by {@link LocalStream.flush}, so a test counts batches exactly.
   * @default STREAM_MAPPING.batchWindowSeconds (1 s)
   */
  readonly batchWindowMs?: number | 'manual';
  /**
   * Shards of the stream. Several by default, so code that assumes one global order of all changes fails
   * here as it would in AWS (only one item's, or one partition's, changes are in order). Two, as a small
   * table has a few: each shard is its own batch, so a console gets up to one queue frame per shard a window.
   * @default 2
   */
  readonly shards?: number;
  /** @default STREAM_MAPPING.batchSize */
  readonly batchSize?: number;
  /** Retries of a record that fails alone. @default STREAM_MAPPING.maxRetries */
  readonly maxRetries?: number;
}

export interface LocalStreamOptions extends LocalStreamSettings {
  readonly runtime: LambdaRuntime;
  readonly tableName: string;
  /** @default process.env.AWS_REGION, else 'us-east-1' */
  readonly region?: string;
  /** Where given-up records are reported. @default a queue of its own without a consumer */
  readonly onFailure?: LocalQueue;
  readonly log?: (line: string) => void;
}

/** Per shard, summed over the consumers. */
export interface StreamShardStats extends ShardReaderStats {
  readonly shardId: string;
}

export interface StreamStats {
  readonly records: number;
  readonly batches: number;
  readonly invocations: number;
  readonly failedInvocations: number;
  readonly givenUp: number;
  readonly shards: readonly StreamShardStats[];
}

export const DEFAULT_STREAM_SHARDS = 2;

export class LocalStream {
  readonly streamArn: string;
  readonly shardIds: readonly string[];
  /** The on-failure destination: one {@link StreamOnFailureRecord} per message. */
  readonly onFailure: LocalQueue;
  private readonly region: string;
  private readonly settings: Required<LocalStreamSettings>;
  /** Per consumer, one reader per shard. */
  private readonly readers = new Map<string, ShardReader[]>();
  /** Per consumer, the records its mapping lets through (all when absent). */
  private readonly filters = new Map<string, (record: StreamRecord) => boolean>();
  private written = 0;
  private readonly ownsOnFailure: boolean;

  constructor(private readonly options: LocalStreamOptions) {
    const createdAt = Date.now();
    this.region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    this.settings = {
      batchWindowMs: options.batchWindowMs ?? STREAM_MAPPING.batchWindowSeconds * 1000,
      shards: options.shards ?? DEFAULT_STREAM_SHARDS,
      batchSize: options.batchSize ?? STREAM_MAPPING.batchSize,
      maxRetries: options.maxRetries ?? STREAM_MAPPING.maxRetries,
    };
    const { shards, batchSize, maxRetries, batchWindowMs } = this.settings;
    if (!Number.isInteger(shards) || shards < 1)
      throw new Error(`shards must be a positive integer: ${shards}`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`batchSize must be positive: ${batchSize}`);
    if (!Number.isInteger(maxRetries) || maxRetries < 0)
      throw new Error(`maxRetries must be ≥ 0: ${maxRetries}`);
    if (batchWindowMs !== 'manual' && !(batchWindowMs >= 0))
      throw new Error(`bad batchWindowMs: ${batchWindowMs}`);
    this.streamArn = streamArnOf(this.region, options.tableName, createdAt);
    this.shardIds = Array.from({ length: shards }, (_, i) => shardIdOf(createdAt, i));
    this.ownsOnFailure = !options.onFailure;
    this.onFailure = options.onFailure ?? new LocalQueue({ name: `${options.tableName}-stream-failures` });
  }

  /** The settings in effect, defaults filled in. */
  get config(): Required<LocalStreamSettings> {
    return { ...this.settings };
  }

  /** The handlers that consume the stream, one event source mapping each. */
  get consumers(): readonly string[] {
    return [...this.readers.keys()];
  }

  /**
   * Adds an event source mapping that invokes `handler`; it reads the records written from now on, those
   * that pass `filter` when one is given (dropped before batching, as Lambda's event filtering does).
   */
  consume(handler: string, filter?: RecordFilter): void {
    if (this.readers.has(handler)) throw new Error(`${handler} already consumes the stream`);
    if (filter) {
      this.filters.set(handler, (record) =>
        passesFilter(filter, record.eventName, record.dynamodb.Keys[tableSchema.sortKey.name]?.S),
      );
    }
    const functionArn = `arn:aws:lambda:${this.region}:000000000000:function:local-${handler.replace(/\W+/g, '-')}`;
    const readers = this.shardIds.map(
      (shardId) =>
        new ShardReader({
          batchSize: this.settings.batchSize,
          batchWindowMs: this.settings.batchWindowMs,
          maxRetries: this.settings.maxRetries,
          invoke: (event) => {
            this.options.log?.(`STREAM ${shardId} → ${handler} (${event.Records.length} records)`);
            return this.options.runtime.invoke(handler, event);
          },
          giveUp: (records, invocations) => this.giveUp(records, { shardId, functionArn, invocations }),
        }),
    );
    this.readers.set(handler, readers);
  }

  /** Writes the record of a change to its shard (nothing when the change left the item as it was). */
  publish(change: ItemChange): StreamRecord | undefined {
    const at = Date.now();
    const record = toStreamRecord(change, {
      region: this.region,
      streamArn: this.streamArn,
      sequenceNumber: sequenceNumber(this.written + 1),
      at,
    });
    if (!record) return undefined;
    this.written += 1;
    const shard = shardOf(record.dynamodb.Keys, tableSchema.partitionKey.name, this.settings.shards);
    for (const [handler, readers] of this.readers) {
      if (this.filters.get(handler)?.(record) === false) continue;
      readers[shard]?.push({ record, arrivedAt: at });
    }
    return record;
  }

  /** The id of the shard an item's records go to. */
  shardIdFor(keys: StreamRecord['dynamodb']['Keys']): string {
    return this.shardIds[shardOf(keys, tableSchema.partitionKey.name, this.settings.shards)] ?? '';
  }

  /**
   * Cuts every shard's pending records into batches now (whatever the window) and resolves when every
   * invocation they lead to, retries included, has finished. Records written meanwhile wait for the next.
   */
  async flush(): Promise<void> {
    await Promise.all([...this.readers.values()].flat().map((reader) => reader.flush()));
  }

  stats(): StreamStats {
    const shards = this.shardIds.map((shardId, i) => {
      const total = {
        shardId,
        batches: 0,
        records: 0,
        invocations: 0,
        failedInvocations: 0,
        givenUp: 0,
        pending: 0,
      };
      for (const readers of this.readers.values()) {
        const stats = readers[i]?.stats();
        if (!stats) continue;
        total.batches += stats.batches;
        total.records += stats.records;
        total.invocations += stats.invocations;
        total.failedInvocations += stats.failedInvocations;
        total.givenUp += stats.givenUp;
        total.pending += stats.pending;
      }
      return total;
    });
    const sum = (key: 'batches' | 'records' | 'invocations' | 'failedInvocations' | 'givenUp') =>
      shards.reduce((n, shard) => n + shard[key], 0);
    return {
      records: sum('records'),
      batches: sum('batches'),
      invocations: sum('invocations'),
      failedInvocations: sum('failedInvocations'),
      givenUp: sum('givenUp'),
      shards,
    };
  }

  /** The on-failure queue's messages, parsed, oldest first. */
  failures(): StreamOnFailureRecord[] {
    return this.onFailure.messages().map((body) => JSON.parse(body) as StreamOnFailureRecord);
  }

  /** Stops every reader (pending records are dropped, as a deleted mapping leaves them) and waits for them. */
  async close(): Promise<void> {
    await Promise.all([...this.readers.values()].flat().map((reader) => reader.close()));
    if (this.ownsOnFailure) await this.onFailure.close();
  }

  private giveUp(
    records: readonly PendingRecord[],
    batch: { shardId: string; functionArn: string; invocations: number },
  ): void {
    const message = onFailureRecord({ ...batch, records, streamArn: this.streamArn, at: Date.now() });
    this.options.log?.(
      `STREAM ${batch.shardId} gave up on ${records.length} record(s) after ${batch.invocations} invocations`,
    );
    this.onFailure.sendMessage(JSON.stringify(message));
  }
}
