import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Target, Undelivered } from './pusher.js';

/** The first retry waits this long, so a throttled management API has a moment to recover. */
export const REDELIVERY_DELAY_SECONDS = 2;
/** SQS takes at most 10 messages a batch. */
const BATCH = 10;

/** What a queued frame carries: the socket it is for, and the frame exactly as it was to be posted. */
export interface RedeliveryMessage {
  readonly target: Target;
  readonly data: string;
}

/**
 * Frames whose post failed (429, 5xx after the SDK's retries) go to an SQS queue, so they are posted again
 * outside the invocation that failed (whose own retries are spent, and which may be about to time out). The
 * queue consumer (`lambdas/queue/redeliver.ts`) posts them; SQS retries a failed one after its visibility
 * timeout, a bounded number of times, and then keeps it in a dead-letter queue that an alarm watches.
 *
 * Typing frames are not queued: a "typing…" shown seconds late says something untrue.
 */
export class SqsRedelivery {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(undelivered: readonly Undelivered[]): Promise<void> {
    const worth = undelivered.filter(
      ({ data }) => (JSON.parse(data) as { type?: unknown }).type !== 'typing',
    );
    for (let i = 0; i < worth.length; i += BATCH) {
      const batch = worth.slice(i, i + BATCH);
      const { Failed } = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map(({ target, data }, n) => ({
            Id: String(n),
            MessageBody: JSON.stringify({ target, data } satisfies RedeliveryMessage),
            DelaySeconds: REDELIVERY_DELAY_SECONDS,
          })),
        }),
      );
      if (Failed && Failed.length > 0) {
        throw new Error(
          `SQS refused ${Failed.length} of ${batch.length}: ${Failed[0]?.Code} ${Failed[0]?.Message}`,
        );
      }
    }
  }
}
