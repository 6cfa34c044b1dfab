import { Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  type MathExpressionOptions,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FRAME_NOT_DELIVERED, TASK_TIMED_OUT } from '../../lambdas/contract/log-lines.js';
import { webSocketAuthorizer } from '../../lambdas/contract/routes.js';
import { tableSchema } from '../../lambdas/contract/table-schema.js';
import { handlerAccess } from './functions.js';

/** Alarm thresholds, all counts over {@link ALARM_PERIOD}. docs/operations.md explains each. */
export const ALARM_THRESHOLDS = {
  /** Uncaught errors, timeouts and crashes of one function (domain errors are responses, not errors). */
  lambdaErrors: 5,
  /**
   * Failures of the WebSocket authorizer (it logs them at ERROR and refuses the connection): any one means
   * sign-ins are failing. Its Errors metric is no use: every refused connection counts there.
   */
  authorizerFailures: 1,
  /** Any throttled invocation is a request refused to a user. */
  lambdaThrottles: 1,
  httpServerErrors: 5,
  webSocketIntegrationErrors: 5,
  webSocketExecutionErrors: 5,
  /** The SDK retries throttled requests, so a few are absorbed; more means a hot partition. */
  dynamoThrottledRequests: 10,
  dynamoSystemErrors: 5,
  /**
   * Failures a function caught and answered (a 500 / `internal_error` frame, a cleanup that failed): Lambda
   * counts none of them as errors, so they are counted off the ERROR log lines of every function.
   */
  handledFailures: 5,
  /** Frames the management API refused for another reason than a gone socket (429, 5xx), after retries. */
  undeliveredFrames: 5,
  /** Any frame given up on after every redelivery attempt. */
  redeliveryDeadLetters: 1,
  /** Any batch of the table stream the queue's consumer gave up on: consoles missed its summaries. */
  queueSummaryFailures: 1,
  /** Milliseconds the queue's consumer is behind the stream: consoles see the queue late. */
  queueSummariesIteratorAgeMs: 30_000,
} as const;

/** The stack's own metrics, counted off log lines by metric filters. */
export const LOG_METRICS = {
  handledFailures: 'HandledFailures',
  undeliveredFrames: 'UndeliveredFrames',
  authorizerFailures: 'AuthorizerFailures',
} as const;

export const ALARM_PERIOD = Duration.minutes(5);

/** The table operations the storage module issues; ThrottledRequests and SystemErrors exist per operation. */
const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.QUERY,
  Operation.BATCH_GET_ITEM,
  Operation.BATCH_WRITE_ITEM,
];

/**
 * The sum of a per-operation DynamoDB metric of the table over {@link TABLE_OPERATIONS}. DynamoDB publishes
 * ThrottledRequests and SystemErrors only for the operations and periods that had one, so most series are
 * missing most of the time, and a plain `a + b` is empty whenever any term is: each term is FILLed with 0.
 */
export function sumOverOperations(
  table: Table,
  metricName: 'ThrottledRequests' | 'SystemErrors',
  options: MathExpressionOptions = {},
): MathExpression {
  const usingMetrics: Record<string, IMetric> = {};
  for (const operation of TABLE_OPERATIONS) {
    const id = operation.charAt(0).toLowerCase() + operation.slice(1);
    usingMetrics[id] = table.metric(metricName, {
      dimensionsMap: { TableName: table.tableName, Operation: operation },
      statistic: Stats.SUM,
    });
  }
  return new MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    label: `${metricName} (all operations)`,
    ...options,
  });
}

/**
 * Functions per alarm on their errors or throttles. An alarm per function would cost two resources a function,
 * and the stack's one CloudFormation template holds at most 500: with one function per route that limit, not
 * CloudWatch, is what runs out first (docs/operations.md, "Alarms"). A metric-math alarm takes at most 10
 * metrics, so each alarm sums ten functions' metrics; which one failed is on the dashboard and in its logs.
 */
export const FUNCTIONS_PER_ALARM = 10;

function groupsOf<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

const names = (group: readonly (readonly [string, NodejsFunction])[]) =>
  group.map(([handler]) => handler).join(', ');

/**
 * The sum of one Lambda metric over a few functions. A function that was not invoked in a period publishes
 * nothing, so each term is FILLed with 0, as in {@link sumOverOperations}.
 */
function sumOverFunctions(
  group: readonly (readonly [string, NodejsFunction])[],
  metric: (fn: NodejsFunction) => Metric,
  label: string,
): MathExpression {
  const usingMetrics: Record<string, IMetric> = {};
  group.forEach(([, fn], i) => {
    usingMetrics[`f${i}`] = metric(fn).with({ statistic: Stats.SUM });
  });
  return new MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    label: `${label} of ${group.length} functions`,
    period: ALARM_PERIOD,
  });
}

export interface ObservabilityProps {
  /** Every function, keyed by handler. */
  readonly functions: ReadonlyMap<string, NodejsFunction>;
  readonly httpApi: HttpApi;
  readonly webSocketStage: WebSocketStage;
  readonly table: Table;
  /** The redelivery queue's dead letters: frames given up on. */
  readonly deadLetters: IQueue;
  /** The staff queue's feed: its consumer and the on-failure queue of its event source mapping. */
  readonly queueFeed: { readonly consumer: NodejsFunction; readonly failures: IQueue };
  /**
   * Subscribed to the alarm topic by e-mail (the address must confirm the subscription).
   * @default - no subscription; subscribe anything to the topic later
   */
  readonly alarmEmail?: string;
}

/**
 * Alarms on what breaks a chat (function errors and throttles, API 5xx and integration errors, DynamoDB
 * throttling and system errors), all sent to one SNS topic, and one dashboard.
 */
export class Observability extends Construct {
  public readonly topic: Topic;
  public readonly alarms: Alarm[] = [];
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Live chat alarms', enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);
    const alarm = (alarmId: string, metric: IMetric, threshold: number, description: string): Alarm => {
      const created = new Alarm(this, alarmId, {
        // Named after the stack so the alarm list reads `LiveChat-WsMessageErrors`, unique per region.
        alarmName: `${Stack.of(this).stackName}-${alarmId}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `${description} See docs/operations.md.`,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };
    const sum = { period: ALARM_PERIOD, statistic: Stats.SUM };

    const namespace = `LiveChat/${Stack.of(this).stackName}`;
    const logMetric = (metricName: string) =>
      new Metric({ namespace, metricName, period: ALARM_PERIOD, statistic: Stats.SUM });
    const access = handlerAccess();
    for (const [handler, fn] of props.functions) {
      if (handler !== webSocketAuthorizer.handler) {
        // Every handler shapes its own errors into a response or an error frame (and so returns normally):
        // its Errors metric misses them, its ERROR lines do not. One metric across functions, one alarm.
        new MetricFilter(this, `${fn.node.id}HandledFailuresFilter`, {
          logGroup: fn.logGroup,
          filterPattern: FilterPattern.stringValue('$.level', '=', 'ERROR'),
          metricNamespace: namespace,
          metricName: LOG_METRICS.handledFailures,
          metricValue: '1',
        });
      }
      if (access.get(handler)?.push) {
        new MetricFilter(this, `${fn.node.id}UndeliveredFramesFilter`, {
          logGroup: fn.logGroup,
          filterPattern: FilterPattern.stringValue('$.message', '=', FRAME_NOT_DELIVERED),
          metricNamespace: namespace,
          metricName: LOG_METRICS.undeliveredFrames,
          metricValue: '1',
        });
      }
      if (handler === webSocketAuthorizer.handler) {
        // API Gateway answers 401 only when the authorizer throws Error('Unauthorized'), so Lambda counts every
        // refused connection (expired token, spent ticket) as an error. Alarm on its real failures instead.
        this.alarmOnAuthorizerFailures(fn, alarm);
      }
    }
    const functions = [...props.functions];
    const failing = functions.filter(([handler]) => handler !== webSocketAuthorizer.handler);
    groupsOf(failing, FUNCTIONS_PER_ALARM).forEach((group, i) => {
      alarm(
        `FunctionErrors${i + 1}`,
        sumOverFunctions(group, (fn) => fn.metricErrors(), 'Errors'),
        ALARM_THRESHOLDS.lambdaErrors,
        `One of ${names(group)} failed (uncaught error, timeout or crash) ${ALARM_THRESHOLDS.lambdaErrors}+ ` +
          "times in 5 minutes; the dashboard's Errors widget shows which.",
      );
    });
    groupsOf(functions, FUNCTIONS_PER_ALARM).forEach((group, i) => {
      alarm(
        `FunctionThrottles${i + 1}`,
        sumOverFunctions(group, (fn) => fn.metricThrottles(), 'Throttles'),
        ALARM_THRESHOLDS.lambdaThrottles,
        `One of ${names(group)} was throttled: requests were refused for lack of concurrency; the ` +
          "dashboard's Throttles widget shows which.",
      );
    });

    alarm(
      LOG_METRICS.handledFailures,
      logMetric(LOG_METRICS.handledFailures),
      ALARM_THRESHOLDS.handledFailures,
      `Functions caught and answered ${ALARM_THRESHOLDS.handledFailures}+ failures in 5 minutes (500s, ` +
        'internal_error frames, failed cleanups): a dependency failing or denied, or a bug.',
    );
    alarm(
      LOG_METRICS.undeliveredFrames,
      logMetric(LOG_METRICS.undeliveredFrames),
      ALARM_THRESHOLDS.undeliveredFrames,
      `${ALARM_THRESHOLDS.undeliveredFrames}+ frames were not delivered in 5 minutes: the management API ` +
        'refused them (throttled or failing) after the retries.',
    );
    alarm(
      'RedeliveryDeadLetters',
      props.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: Stats.MAXIMUM,
      }),
      ALARM_THRESHOLDS.redeliveryDeadLetters,
      'Frames that could not be delivered even after the redelivery queue tried them again are kept in its ' +
        'dead-letter queue.',
    );
    alarm(
      'QueueSummaryFailures',
      props.queueFeed.failures.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: Stats.MAXIMUM,
      }),
      ALARM_THRESHOLDS.queueSummaryFailures,
      'The queue-summaries function gave up on a batch of the table stream after its retries: consoles ' +
        'missed those summaries until their next refresh. The on-failure queue holds the batch positions.',
    );
    alarm(
      'QueueSummariesBehind',
      props.queueFeed.consumer.metric('IteratorAge', { period: ALARM_PERIOD, statistic: Stats.MAXIMUM }),
      ALARM_THRESHOLDS.queueSummariesIteratorAgeMs,
      `The queue-summaries function is ${ALARM_THRESHOLDS.queueSummariesIteratorAgeMs / 1000}+ s behind the ` +
        'table stream: consoles see the queue late (failing batches being retried, or throttled).',
    );
    alarm(
      'HttpApi5xx',
      props.httpApi.metricServerError(sum),
      ALARM_THRESHOLDS.httpServerErrors,
      'The HTTP API answered 5xx.',
    );
    const ws = props.webSocketStage;
    alarm(
      'WebSocketIntegrationErrors',
      ws.metric('IntegrationError', sum),
      ALARM_THRESHOLDS.webSocketIntegrationErrors,
      'WebSocket frames whose function failed or answered an error.',
    );
    alarm(
      'WebSocketExecutionErrors',
      ws.metric('ExecutionError', sum),
      ALARM_THRESHOLDS.webSocketExecutionErrors,
      'API Gateway could not call a WebSocket function.',
    );
    alarm(
      'DynamoThrottles',
      sumOverOperations(props.table, 'ThrottledRequests', { period: ALARM_PERIOD }),
      ALARM_THRESHOLDS.dynamoThrottledRequests,
      'DynamoDB throttled requests of the chat table (hot partition or index).',
    );
    alarm(
      'DynamoSystemErrors',
      sumOverOperations(props.table, 'SystemErrors', { period: ALARM_PERIOD }),
      ALARM_THRESHOLDS.dynamoSystemErrors,
      'DynamoDB answered 500 to requests on the chat table.',
    );

    this.dashboard = this.buildDashboard(props);
  }

  /**
   * The authorizer logs every failure of its own (DynamoDB while redeeming a ticket, the issuer's keys out
   * of reach) as a Powertools JSON line at level ERROR, then refuses the connection. A metric filter counts
   * those lines, and the platform's timeout lines, in the stack's own namespace.
   */
  private alarmOnAuthorizerFailures(
    fn: NodejsFunction,
    alarm: (alarmId: string, metric: IMetric, threshold: number, description: string) => Alarm,
  ): void {
    const metricNamespace = `LiveChat/${Stack.of(this).stackName}`;
    const metricName = LOG_METRICS.authorizerFailures;
    const logged = new MetricFilter(this, `${fn.node.id}FailuresFilter`, {
      logGroup: fn.logGroup,
      filterPattern: FilterPattern.stringValue('$.level', '=', 'ERROR'),
      metricNamespace,
      metricName,
      metricValue: '1',
    });
    new MetricFilter(this, `${fn.node.id}TimeoutsFilter`, {
      logGroup: fn.logGroup,
      filterPattern: FilterPattern.literal(`"${TASK_TIMED_OUT}"`),
      metricNamespace,
      metricName,
      metricValue: '1',
    });
    alarm(
      `${fn.node.id}Failures`,
      logged.metric({ period: ALARM_PERIOD, statistic: Stats.SUM }),
      ALARM_THRESHOLDS.authorizerFailures,
      "The WebSocket authorizer failed (DynamoDB, the issuer's keys, a timeout) and refused connections it " +
        'should have judged.',
    );
  }

  private buildDashboard(props: ObservabilityProps): Dashboard {
    const fns = [...props.functions];
    const perFunction = (metric: (fn: NodejsFunction) => Metric) =>
      fns.map(([handler, fn]) => metric(fn).with({ label: handler }));
    const ws = props.webSocketStage;
    const api = props.httpApi;
    const tableName = props.table.tableName;
    const indexMetric = (metricName: string, indexName: string) =>
      new Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: tableName, GlobalSecondaryIndexName: indexName },
        statistic: Stats.SUM,
        label: `${metricName} ${indexName}`,
      });
    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(
      new TextWidget({
        markdown: '# Live chat\nAlarms and runbook: docs/operations.md',
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 6 }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'HTTP API requests',
        left: [api.metricCount({ statistic: Stats.SUM })],
        right: [
          api.metricClientError({ statistic: Stats.SUM }),
          api.metricServerError({ statistic: Stats.SUM }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'HTTP API latency (ms)',
        left: [
          api.metricLatency({ statistic: Stats.p(50), label: 'p50' }),
          api.metricLatency({ statistic: Stats.p(99), label: 'p99' }),
          api.metricIntegrationLatency({ statistic: Stats.p(99), label: 'integration p99' }),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'WebSocket connections and frames',
        left: [
          ws.metric('ConnectCount', { statistic: Stats.SUM }),
          ws.metric('MessageCount', { statistic: Stats.SUM }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'WebSocket errors',
        left: ['ClientError', 'IntegrationError', 'ExecutionError'].map((name) =>
          ws.metric(name, { statistic: Stats.SUM }),
        ),
        width: 8,
      }),
      new GraphWidget({
        title: 'WebSocket integration latency (ms)',
        left: [ws.metric('IntegrationLatency', { statistic: Stats.p(99), label: 'p99' })],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Lambda errors',
        left: perFunction((fn) => fn.metricErrors({ statistic: Stats.SUM })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Lambda throttles',
        left: perFunction((fn) => fn.metricThrottles({ statistic: Stats.SUM })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Lambda duration p99 (ms)',
        left: perFunction((fn) => fn.metricDuration({ statistic: Stats.p(99) })),
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'DynamoDB consumed capacity',
        left: [
          props.table.metricConsumedReadCapacityUnits({ statistic: Stats.SUM }),
          props.table.metricConsumedWriteCapacityUnits({ statistic: Stats.SUM }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'DynamoDB throttling',
        left: [
          sumOverOperations(props.table, 'ThrottledRequests'),
          ...tableSchema.globalSecondaryIndexes.map((i) => indexMetric('WriteThrottleEvents', i.indexName)),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'DynamoDB latency p99 (ms)',
        left: [Operation.QUERY, Operation.PUT_ITEM, Operation.UPDATE_ITEM].map((operation) =>
          props.table.metricSuccessfulRequestLatency({
            dimensionsMap: { TableName: tableName, Operation: operation },
            statistic: Stats.p(99),
            label: operation,
          }),
        ),
        width: 8,
      }),
    );
    return dashboard;
  }
}
