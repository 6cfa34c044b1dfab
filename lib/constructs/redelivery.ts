import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REDELIVERY } from '../../lambdas/contract/redelivery.js';

/**
 * The queue of frames a fan-out could not deliver (lambdas/push/redelivery.ts): its consumer posts them again
 * outside the invocation that failed, SQS offers a frame that fails again after the visibility timeout, at
 * most `maxReceiveCount` times, and then keeps it in a dead-letter queue that an alarm watches.
 */
export class Redelivery extends Construct {
  public readonly queue: Queue;
  public readonly deadLetters: Queue;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(REDELIVERY.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(REDELIVERY.retentionSeconds),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: REDELIVERY.maxReceiveCount },
    });
  }

  /** Feeds the consumer, reporting failed frames one by one (`batchItemFailures`). */
  public feed(consumer: IFunction): void {
    consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(0),
        reportBatchItemFailures: true,
      }),
    );
  }
}
