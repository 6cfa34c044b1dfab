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
  /** `BatchSize`: the most records one invocation gets. */
  batchSize: 100,
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
} as const;
