/**
 * The table stream's event source mapping, for the stack's mapping and the local emulation
 * (`local/stream.ts`) alike, so a consumer sees batches of the same size and age in both.
 *
 * Failures throw (no `DynamoDBBatchResponse`): the mapping splits the failing batch in two and retries the
 * halves, so one bad record ends up alone; a record that still fails after `maxRetries` retries goes to the
 * on-failure queue and the shard moves on.
 */
export const STREAM_MAPPING = {
  /** `MaximumBatchingWindowInSeconds`: how long a shard gathers records before it invokes. */
  batchWindowSeconds: 1,
  /**
   * `BatchSize`: the most records one invocation gets. Large enough that the window, not the size, cuts the
   * batch at 1,000 messages a second over 4 shards (the filter keeps one room record per message), so a
   * console's frames follow the window; 1,000 records of new and old images (~2.5 KB each) stay far under
   * Lambda's 6 MB payload.
   */
  batchSize: 1000,
  /** `MaximumRetryAttempts`: retries of a record that fails alone, before it goes to the on-failure queue. */
  maxRetries: 2,
  /** `BisectBatchOnFunctionError`. */
  bisectOnError: true,
  /** `ParallelizationFactor`: one batch at a time per shard, so a shard's records are handled in order. */
  parallelizationFactor: 1,
  /** `FunctionResponseTypes` without `ReportBatchItemFailures`: a batch fails or succeeds as a whole. */
  reportBatchItemFailures: false,
  /** `StartingPosition`: a new mapping reads what is written from then on, as the local stream does. */
  startingPosition: 'LATEST',
  /** The table's `StreamViewType`. */
  viewType: 'NEW_AND_OLD_IMAGES',
  /**
   * `MaximumRecordAgeInSeconds`: a record older than this goes to the on-failure queue unprocessed; a console
   * that far behind has refreshed over HTTP long since. (Not emulated: local batches are never that old.)
   */
  maxRecordAgeSeconds: 3600,
} as const;

/**
 * The records the queue's consumer reads: room items (see `lambdas/storage/keys.ts`; typing is an attribute
 * of the room item), added or changed. The deployed mapping and the local stream both drop every other
 * record before batching; the handler skips them too (`lambdas/storage/stream-changes.ts`), so a mapping
 * without the filter would only invoke it more often.
 */
export const QUEUE_RECORD_FILTER: RecordFilter = {
  eventNames: ['INSERT', 'MODIFY'],
  sortKeyEquals: 'ROOM',
};

/**
 * The one shape of event filter the system uses: these event names, and a sort key equal to one value. The
 * stack turns it into the mapping's `FilterCriteria`; the local stream applies it before batching, as Lambda
 * drops filtered-out records before they count towards a batch.
 */
export interface RecordFilter {
  readonly eventNames: readonly ('INSERT' | 'MODIFY' | 'REMOVE')[];
  readonly sortKeyEquals: string;
}

/** Whether a record passes the filter (`sk`: the record's sort key). */
export function passesFilter(filter: RecordFilter, eventName: string, sk: string | undefined): boolean {
  return (filter.eventNames as readonly string[]).includes(eventName) && sk === filter.sortKeyEquals;
}
