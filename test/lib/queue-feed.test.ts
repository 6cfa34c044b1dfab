import { beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_RECORD_FILTER, STREAM_MAPPING } from '../../lambdas/contract/stream.js';
import { ALARM_THRESHOLDS } from '../../lib/constructs/observability.js';
import { logicalId, resourcesOfType, type Synthesized, synthesize } from './synth.js';

// The staff queue's feed: the table's stream, its event source mapping and what watches it.

let s: Synthesized;
let windowed: Synthesized;
beforeAll(() => {
  s = synthesize({ bundle: false });
  windowed = synthesize({ bundle: false, context: { queueBatchWindowSeconds: '5' } });
});

const queueSummariesId = (synth: Synthesized) =>
  logicalId(synth.stack.functions.of('stream/queue-summaries'));
const mappingOf = (synth: Synthesized) => {
  const mappings = Object.values(resourcesOfType(synth.json, 'AWS::Lambda::EventSourceMapping'))
    .map((m) => m.Properties)
    .filter((m) => JSON.stringify(m.EventSourceArn).includes('StreamArn'))
    // The stream has a second consumer (stream/notify, test/lib/notifications.test.ts).
    .filter((m) => JSON.stringify(m.FunctionName) === JSON.stringify({ Ref: queueSummariesId(synth) }));
  expect(mappings).toHaveLength(1);
  return mappings[0] as Record<string, unknown>;
};

describe('queue feed', () => {
  it('gives the table a stream of new and old images', () => {
    const table = resourcesOfType(s.json, 'AWS::DynamoDB::Table')[logicalId(s.stack.data.table)];
    expect(table?.Properties.StreamSpecification).toEqual({ StreamViewType: STREAM_MAPPING.viewType });
  });

  it('feeds stream/queue-summaries in batches: window, size, bisect, bounded retries, record age, from now on', () => {
    expect(mappingOf(s)).toMatchObject({
      FunctionName: { Ref: logicalId(s.stack.functions.of('stream/queue-summaries')) },
      StartingPosition: 'LATEST',
      BatchSize: STREAM_MAPPING.batchSize,
      MaximumBatchingWindowInSeconds: STREAM_MAPPING.batchWindowSeconds,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: STREAM_MAPPING.maxRetries,
      MaximumRecordAgeInSeconds: STREAM_MAPPING.maxRecordAgeSeconds,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(s.stack.queueFeed.failures), 'Arn'] } },
      },
    });
  });

  it('takes its batching window from the queueBatchWindowSeconds context option', () => {
    expect(mappingOf(windowed).MaximumBatchingWindowInSeconds).toBe(5);
  });

  it('filters to room items, added or changed, before Lambda is invoked', () => {
    const criteria = mappingOf(s).FilterCriteria as { Filters: { Pattern: string }[] };
    expect(criteria.Filters).toHaveLength(1);
    expect(JSON.parse(criteria.Filters[0]!.Pattern)).toEqual({
      eventName: [...QUEUE_RECORD_FILTER.eventNames],
      dynamodb: {
        Keys: {
          sk: { S: [QUEUE_RECORD_FILTER.sortKeyEquals] },
        },
      },
    });
  });

  it('alarms on any batch given up on, and on the consumer falling behind the stream', () => {
    const alarms = Object.values(resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const failures = alarms.filter((a) =>
      JSON.stringify(a.Dimensions ?? null).includes(logicalId(s.stack.queueFeed.failures)),
    );
    expect(failures).toEqual([
      expect.objectContaining({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: ALARM_THRESHOLDS.queueSummaryFailures,
      }),
    ]);
    const behind = alarms.filter(
      (a) => a.MetricName === 'IteratorAge' && JSON.stringify(a.Dimensions).includes(queueSummariesId(s)),
    );
    expect(behind).toEqual([
      expect.objectContaining({
        Threshold: ALARM_THRESHOLDS.queueSummariesIteratorAgeMs,
        Statistic: 'Maximum',
        Dimensions: [
          {
            Name: 'FunctionName',
            Value: { Ref: logicalId(s.stack.functions.of('stream/queue-summaries')) },
          },
        ],
      }),
    ]);
  });
});
