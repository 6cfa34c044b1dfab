/**
 * One shard as one event source mapping reads it: records wait until a batch is cut (full, its window
 * passed, or a flush), batches run one at a time in order, and a failing batch is split and retried until
 * each record succeeded or was given up on (`STREAM_MAPPING` in `lambdas/contract/stream.ts`).
 *
 * Splits are free and retries are counted per batch of one record: a batch that fails is split in two and
 * each half runs (first half first, so the shard's order holds); a record that fails alone runs again up to
 * `maxRetries` times and then goes to the on-failure queue, after which the shard moves on. One bad record
 * thus costs its batch one invocation per split plus `1 + maxRetries` alone, and the records around it are
 * handled normally. AWS documents the two settings but not how they count together; this is the reading in
 * which a bad record ends up alone in the on-failure queue, which is what the bisect setting is for. A
 * timeout is a failure like a throw.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { InvokeResult } from './lambda-runtime.js';
import type { StreamRecord } from './stream-records.js';

export interface PendingRecord {
  readonly record: StreamRecord;
  /** When the record reached the shard, epoch milliseconds. */
  readonly arrivedAt: number;
}

export interface ShardReaderOptions {
  readonly batchSize: number;
  /** Milliseconds from a batch's first record until it is cut anyway; `'manual'`: only by `flush()`. */
  readonly batchWindowMs: number | 'manual';
  readonly maxRetries: number;
  readonly invoke: (event: DynamoDBStreamEvent) => Promise<InvokeResult>;
  /** Called with the records of a batch of one (or more) given up on, and how often that batch ran. */
  readonly giveUp: (records: readonly PendingRecord[], invocations: number) => void;
}

/** What a reader has done since it started. */
export interface ShardReaderStats {
  /** Batches cut from the shard (a split's halves are not counted again). */
  readonly batches: number;
  /** Records that reached the shard. */
  readonly records: number;
  readonly invocations: number;
  readonly failedInvocations: number;
  /** Records sent to the on-failure queue. */
  readonly givenUp: number;
  /** Records waiting for a batch. */
  readonly pending: number;
}

export class ShardReader {
  private readonly pending: PendingRecord[] = [];
  /** How many of the pending records a flush asked to be cut regardless of the window. */
  private released = 0;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly counts = { batches: 0, records: 0, invocations: 0, failedInvocations: 0, givenUp: 0 };

  constructor(private readonly options: ShardReaderOptions) {}

  push(record: PendingRecord): void {
    if (this.closed) return;
    this.pending.push(record);
    this.counts.records += 1;
    this.pump();
  }

  /** Cuts everything pending into batches now and resolves when they (and any batch running) are done. */
  async flush(): Promise<void> {
    this.released = this.pending.length;
    this.pump();
    while (this.running) await this.running;
  }

  stats(): ShardReaderStats {
    return { ...this.counts, pending: this.pending.length };
  }

  /** Stops cutting batches and retrying; resolves when the invocation running, if any, has returned. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running) await this.running;
  }

  /** Starts the next batch if one is due and none is running, or arms the window's timer. */
  private pump(): void {
    if (this.running || this.closed || this.pending.length === 0) return;
    const batch = this.cut();
    if (!batch) {
      this.arm();
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.counts.batches += 1;
    this.running = this.deliver(batch).finally(() => {
      this.running = undefined;
      this.pump();
    });
  }

  /** The next batch, if the batch size, the window or a flush says one is due. */
  private cut(): PendingRecord[] | undefined {
    const { batchSize, batchWindowMs } = this.options;
    const first = this.pending[0];
    const due =
      this.released > 0 ||
      (batchWindowMs !== 'manual' &&
        first !== undefined &&
        (this.pending.length >= batchSize || Date.now() - first.arrivedAt >= batchWindowMs));
    if (!due) return undefined;
    const batch = this.pending.splice(0, batchSize);
    this.released = Math.max(0, this.released - batch.length);
    return batch;
  }

  private arm(): void {
    const { batchWindowMs } = this.options;
    const first = this.pending[0];
    if (this.timer || batchWindowMs === 'manual' || !first) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, first.arrivedAt + batchWindowMs - Date.now()),
    );
  }

  /** Runs a batch to the end: success, or split and retried until each record succeeded or was given up. */
  private async deliver(batch: PendingRecord[]): Promise<void> {
    if (this.closed) return;
    if (await this.invoke(batch)) return;
    if (batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await this.deliver(batch.slice(0, half));
      await this.deliver(batch.slice(half));
      return;
    }
    let invocations = 1;
    for (let retry = 0; retry < this.options.maxRetries; retry++) {
      if (this.closed) return;
      invocations += 1;
      if (await this.invoke(batch)) return;
    }
    this.counts.givenUp += batch.length;
    this.options.giveUp(batch, invocations);
  }

  private async invoke(batch: PendingRecord[]): Promise<boolean> {
    this.counts.invocations += 1;
    const result = await this.options.invoke({ Records: batch.map((p) => p.record) });
    if (!result.error) return true;
    this.counts.failedInvocations += 1;
    return false;
  }
}
