import { beforeAll, describe, expect, it } from 'vitest';
import { allHandlers, webSocketAuthorizer } from '../../lambdas/contract/routes.js';
import { handlerAccess } from '../../lib/constructs/functions.js';
import { ALARM_THRESHOLDS, FUNCTIONS_PER_ALARM, LOG_METRICS } from '../../lib/constructs/observability.js';
import { logicalId, resourcesOfType, type Synthesized, synthesize } from './synth.js';

// The stack's alarms, their topic and the dashboard: the template of the default deployment, without bundles
// (the alarms do not depend on the functions' code; test/lib/chat-stack.test.ts synthesizes with them).

let s: Synthesized;
beforeAll(() => {
  s = synthesize({ bundle: false, context: { hosting: 'false' } });
}, 120_000);

const fnId = (handler: string) => logicalId(s.stack.functions.of(handler));
const props = (id: string) => s.json.Resources[id]?.Properties ?? {};

describe('observability', () => {
  const alarms = () =>
    Object.values(resourcesOfType(s.json, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const topicRef = () => ({ Ref: logicalId(s.stack.observability.topic) });
  const fnProps = (handler: string) => props(fnId(handler));

  /** The alarms that watch `metric` of the handler's function: each sums up to ten functions' metrics. */
  const functionAlarms = (handler: string, metric: string) =>
    alarms().filter((a) =>
      ((a.Metrics ?? []) as { MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }[]).some(
        (q) =>
          q.MetricStat?.Metric.MetricName === metric &&
          JSON.stringify(q.MetricStat.Metric.Dimensions) ===
            JSON.stringify([{ Name: 'FunctionName', Value: { Ref: fnId(handler) } }]),
      ),
    );

  it('sums at most ten functions per alarm, each term filled with 0, so a quiet function cannot mute it', () => {
    const grouped = alarms().filter((a) => /-Function(Errors|Throttles)\d+$/.test(String(a.AlarmName)));
    expect(grouped.length).toBe(
      Math.ceil((allHandlers().length - 1) / FUNCTIONS_PER_ALARM) +
        Math.ceil(allHandlers().length / FUNCTIONS_PER_ALARM),
    );
    for (const alarm of grouped) {
      const queries = alarm.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
      const terms = queries.filter((q) => q.MetricStat);
      expect(terms.length).toBeGreaterThan(0);
      expect(terms.length).toBeLessThanOrEqual(FUNCTIONS_PER_ALARM);
      expect(queries.find((q) => q.Expression)?.Expression).toBe(
        terms.map((t) => `FILL(${t.Id}, 0)`).join(' + '),
      );
    }
  });

  it.each(allHandlers())('alarms on throttles of %s', (handler) => {
    expect(functionAlarms(handler, 'Throttles')).toHaveLength(1);
  });

  it.each(allHandlers().filter((h) => h !== webSocketAuthorizer.handler))(
    'alarms on errors of %s',
    (handler) => {
      expect(functionAlarms(handler, 'Errors')).toHaveLength(1);
    },
  );

  // The authorizer answers 401 by throwing Error('Unauthorized'), which Lambda counts as an error: its
  // Errors metric counts refused connections, so its alarm is on what it logs at ERROR instead.
  it('alarms on the WebSocket authorizer failing, not on the connections it refuses', () => {
    expect(functionAlarms(webSocketAuthorizer.handler, 'Errors')).toHaveLength(0);
    const logGroupRef = (fnProps(webSocketAuthorizer.handler).LoggingConfig as { LogGroup: unknown })
      .LogGroup;
    const filters = Object.values(resourcesOfType(s.json, 'AWS::Logs::MetricFilter'))
      .map((f) => f.Properties)
      .filter((f) => JSON.stringify(f.LogGroupName) === JSON.stringify(logGroupRef));
    expect(filters.map((f) => f.FilterPattern).sort()).toEqual(['"Task timed out"', '{ $.level = "ERROR" }']);
    const metrics = new Set(
      filters.map((f) => {
        const [t] = f.MetricTransformations as { MetricNamespace: string; MetricName: string }[];
        return `${t?.MetricNamespace} ${t?.MetricName}`;
      }),
    );
    expect(metrics.size).toBe(1);
    const [namespace, name] = [...metrics][0]!.split(' ');
    const found = alarms().filter((a) => a.Namespace === namespace && a.MetricName === name);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      Threshold: ALARM_THRESHOLDS.authorizerFailures,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      Period: 300,
      Statistic: 'Sum',
    });
    expect(ALARM_THRESHOLDS.authorizerFailures).toBe(1);
    expect(found[0]?.AlarmName).toBe('LiveChat-WsAuthorizerFailures');
  });

  const filtersOf = (handler: string) => {
    const logGroupRef = (fnProps(handler).LoggingConfig as { LogGroup: unknown }).LogGroup;
    return Object.values(resourcesOfType(s.json, 'AWS::Logs::MetricFilter'))
      .map((f) => f.Properties)
      .filter((f) => JSON.stringify(f.LogGroupName) === JSON.stringify(logGroupRef))
      .map((f) => {
        const [t] = f.MetricTransformations as { MetricNamespace: string; MetricName: string }[];
        return `${f.FilterPattern} -> ${t?.MetricNamespace} ${t?.MetricName}`;
      });
  };
  const namespace = 'LiveChat/LiveChat';

  // A handler that catches a failure answers a 500 or an error frame and returns normally: Lambda's Errors
  // metric never sees it, its ERROR log line does.
  it.each(allHandlers().filter((h) => h !== webSocketAuthorizer.handler))(
    'counts the failures %s handles from its ERROR log lines',
    (handler) => {
      expect(filtersOf(handler)).toContain(
        `{ $.level = "ERROR" } -> ${namespace} ${LOG_METRICS.handledFailures}`,
      );
    },
  );

  it.each(allHandlers().filter((h) => handlerAccess().get(h)?.push))(
    'counts the frames %s could not deliver',
    (handler) => {
      expect(filtersOf(handler)).toContain(
        `{ $.message = "Frame not delivered" } -> ${namespace} ${LOG_METRICS.undeliveredFrames}`,
      );
    },
  );

  it.each([
    [LOG_METRICS.handledFailures, ALARM_THRESHOLDS.handledFailures],
    [LOG_METRICS.undeliveredFrames, ALARM_THRESHOLDS.undeliveredFrames],
  ])('alarms on %s', (metric, threshold) => {
    const found = alarms().filter((a) => a.Namespace === namespace && a.MetricName === metric);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ Threshold: threshold, Statistic: 'Sum', Period: 300 });
    expect(found[0]?.AlarmName).toBe(`LiveChat-${metric}`);
  });

  it.each([
    ['5xx', ALARM_THRESHOLDS.httpServerErrors],
    ['IntegrationError', ALARM_THRESHOLDS.webSocketIntegrationErrors],
    ['ExecutionError', ALARM_THRESHOLDS.webSocketExecutionErrors],
  ])('alarms on API Gateway %s', (metric, threshold) => {
    const found = alarms().filter((a) => a.MetricName === metric && a.Namespace === 'AWS/ApiGateway');
    expect(found).toHaveLength(1);
    expect(found[0]?.Threshold).toBe(threshold);
  });

  it.each(['ThrottledRequests', 'SystemErrors'])('alarms on DynamoDB %s of the table', (metric) => {
    const found = alarms().filter((a) =>
      JSON.stringify(a.Metrics ?? []).includes(`"MetricName":"${metric}"`),
    );
    expect(found).toHaveLength(1);
    expect(JSON.stringify(found[0]?.Metrics)).toContain(`{"Ref":"${logicalId(s.stack.data.table)}"}`);
  });

  // DynamoDB publishes these per operation and only when one happened: a bare `a + b` has no data as soon as
  // one operation had none, so the alarm could never fire.
  it.each(['ThrottledRequests', 'SystemErrors'])(
    'sums %s over the operations with every missing series filled with 0',
    (metric) => {
      const [alarm] = alarms().filter((a) =>
        JSON.stringify(a.Metrics ?? []).includes(`"MetricName":"${metric}"`),
      );
      const queries = alarm?.Metrics as { Id: string; Expression?: string; ReturnData?: boolean }[];
      const expression = queries.find((q) => q.Expression !== undefined);
      const series = queries.filter((q) => q.Expression === undefined).map((q) => q.Id);
      expect(series.length).toBeGreaterThanOrEqual(7);
      expect(expression?.Expression).toBe(series.map((id) => `FILL(${id}, 0)`).join(' + '));
      for (const q of queries) expect(q.ReturnData ?? true).toBe(q === expression);
    },
  );

  it('graphs DynamoDB throttling with the same filled sum', () => {
    const [dashboard] = Object.values(resourcesOfType(s.json, 'AWS::CloudWatch::Dashboard'));
    // The body is a Fn::Join of JSON text around references; a placeholder stands in for each reference.
    const parts = (dashboard!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const body = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'REF')).join('')) as {
      widgets: { properties: { title?: string; metrics?: unknown[][] } }[];
    };
    const widget = body.widgets.find((w) => w.properties.title === 'DynamoDB throttling');
    const expressions = (widget?.properties.metrics ?? [])
      .map((m) => (m.at(-1) as { expression?: string }).expression)
      .filter((e) => e !== undefined);
    const alarm = alarms().find((a) => JSON.stringify(a.Metrics ?? []).includes('ThrottledRequests'));
    const expression = (alarm!.Metrics as { Expression?: string }[]).find((q) => q.Expression)?.Expression;
    expect(expressions).toEqual([expression]);
  });

  it('sends every alarm to the topic, which has no subscriber unless an e-mail is given', () => {
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([topicRef()]);
      expect(alarm.TreatMissingData).toBe('notBreaching');
      expect(alarm.AlarmName).toMatch(/^LiveChat-[A-Za-z0-9]+$/);
    }
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});
