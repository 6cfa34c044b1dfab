import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type RecordFilter, STREAM_MAPPING } from '../../lambdas/contract/stream.js';

export interface QueueFeedProps {
  readonly table: ITable;
  /** The stream's consumer (`lambdas/stream/queue-summaries.ts`). */
  readonly consumer: IFunction;
  /** The records that invoke it (the route table's `filter`). */
  readonly filter: RecordFilter;
  /** How long records gather before a batch is cut: about one `queue` frame per console per window. */
  readonly batchWindowSeconds: number;
}

/**
 * The staff queue's feed: the table's DynamoDB stream, read by one event source mapping in batches, filtered
 * to room and typing records before Lambda is invoked. A failing batch is split in two and retried, up to
 * `STREAM_MAPPING.maxRetries` times; what still fails is not dropped in silence but sent (its shard and sequence
 * numbers) to an on-failure queue, which the `QueueSummaryFailures` alarm watches (a consumer falling behind
 * shows as its iterator age, `QueueSummariesBehind`; both in `observability.ts`).
 */
export class QueueFeed extends Construct {
  /** Positions of the batches the consumer gave up on (AWS's stream on-failure records). */
  public readonly failures: Queue;

  constructor(scope: Construct, id: string, props: QueueFeedProps) {
    super(scope, id);
    this.failures = new Queue(this, 'Failures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "It is the last stop: the stream mapping's on-failure destination, read by an operator, not consumed.",
    });
    props.consumer.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition[STREAM_MAPPING.startingPosition],
        parallelizationFactor: STREAM_MAPPING.parallelizationFactor,
        batchSize: STREAM_MAPPING.batchSize,
        maxBatchingWindow: Duration.seconds(props.batchWindowSeconds),
        bisectBatchOnError: STREAM_MAPPING.bisectOnError,
        retryAttempts: STREAM_MAPPING.maxRetries,
        maxRecordAge: Duration.seconds(STREAM_MAPPING.maxRecordAgeSeconds),
        onFailure: new SqsDlq(this.failures),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.or(...props.filter.eventNames),
            dynamodb: {
              Keys: {
                sk: { S: FilterRule.isEqual(props.filter.sortKeyEquals) },
              },
            },
          }),
        ],
      }),
    );
    const role = props.consumer.role;
    if (role) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListStreams, which the stream event source mapping needs, takes no resource but *; every ' +
          'other stream action is granted on the table stream alone.',
      });
    }
  }
}
