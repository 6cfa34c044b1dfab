import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOTIFY_RECORD_FILTER } from '../../lambdas/contract/notify.js';
import { httpRoutes, streamConsumers } from '../../lambdas/contract/routes.js';
import { STREAM_MAPPING } from '../../lambdas/contract/stream.js';
import { ENV } from '../../lambdas/runtime/config.js';
import { readConfig } from '../../lib/config.js';
import { handlerAccess } from '../../lib/constructs/functions.js';
import { NOTIFY_ALARM_THRESHOLDS } from '../../lib/constructs/notifications.js';
import { cfnLint, logicalId, resourcesOfType, type Synthesized, synthesize } from './synth.js';

// Email and team notices in the template: the stream's second mapping, its alarms, the team topic, and the
// grants of the two functions that send (sns:Publish on the topic, ses:SendEmail on the sender's identity).

let plain: Synthesized;
let mailing: Synthesized;
beforeAll(() => {
  plain = synthesize({ bundle: false });
  mailing = synthesize({
    bundle: false,
    context: {
      notifyTeam: 'email:team@example.com',
      emailFrom: 'Support <help@example.com>',
      createEmailIdentity: 'true',
      sesSandboxRecipients: 'tester@example.org',
    },
  });
}, 120_000);

type Statement = { Action: string | string[]; Resource: unknown };
const statementsOf = (s: Synthesized, handler: string): Statement[] => {
  const roleId = logicalId(s.stack.functions.of(handler).role!);
  return Object.values(resourcesOfType(s.json, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`{"Ref":"${roleId}"}`))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
};
const actions = (statements: Statement[], service: string) =>
  statements.filter((st) => [st.Action].flat().some((a) => a.startsWith(`${service}:`)));
const envOf = (s: Synthesized, handler: string) =>
  (
    s.json.Resources[logicalId(s.stack.functions.of(handler))]!.Properties.Environment as {
      Variables: Record<string, unknown>;
    }
  ).Variables;
const senders = () => [...handlerAccess()].filter(([, a]) => a.email).map(([handler]) => handler);

describe('notifications', () => {
  it('marks exactly the two functions that send: stream/notify and the confirmation request', () => {
    expect(senders().sort()).toEqual(['http/request-email-confirmation', 'stream/notify']);
    expect(httpRoutes.find((r) => r.handler === 'http/confirm-email')?.access.email).toBeUndefined();
  });

  it('feeds stream/notify from the table stream with its own filter, bisecting, with an on-failure queue', () => {
    const fn = logicalId(plain.stack.functions.of('stream/notify'));
    const mappings = Object.values(resourcesOfType(plain.json, 'AWS::Lambda::EventSourceMapping'))
      .map((m) => m.Properties)
      .filter((m) => JSON.stringify(m.FunctionName) === JSON.stringify({ Ref: fn }));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({
      StartingPosition: 'LATEST',
      BatchSize: STREAM_MAPPING.batchSize,
      MaximumBatchingWindowInSeconds: STREAM_MAPPING.batchWindowSeconds,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: STREAM_MAPPING.maxRetries,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(plain.stack.notifyFeed.failures), 'Arn'] } },
      },
    });
    const pattern = (mappings[0]!.FilterCriteria as { Filters: { Pattern: string }[] }).Filters[0]?.Pattern;
    expect(JSON.parse(pattern ?? '{}')).toEqual({
      eventName: [...NOTIFY_RECORD_FILTER.eventNames],
      dynamodb: { Keys: { sk: { S: [NOTIFY_RECORD_FILTER.sortKeyEquals] } } },
    });
    expect(streamConsumers.find((c) => c.handler === 'stream/notify')?.filter).toBe(NOTIFY_RECORD_FILTER);
  });

  it('alarms on a batch given up on and on falling behind, to the alarm topic', () => {
    const alarms = Object.values(resourcesOfType(plain.json, 'AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties,
    );
    const topic = { Ref: logicalId(plain.stack.observability.topic) };
    const named = (name: string) => alarms.filter((a) => a.AlarmName === `LiveChat-${name}`);
    expect(named('NotifyFailures')).toEqual([
      expect.objectContaining({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: NOTIFY_ALARM_THRESHOLDS.failures,
        AlarmActions: [topic],
      }),
    ]);
    expect(named('NotifyBehind')).toEqual([
      expect.objectContaining({
        MetricName: 'IteratorAge',
        Threshold: NOTIFY_ALARM_THRESHOLDS.iteratorAgeMs,
        Dimensions: [
          { Name: 'FunctionName', Value: { Ref: logicalId(plain.stack.functions.of('stream/notify')) } },
        ],
        AlarmActions: [topic],
      }),
    ]);
  });

  it('by default tells the team on its own topic: Publish on it alone, for the senders alone, and no SES', () => {
    const topic = { Ref: logicalId(plain.stack.notifications.topic) };
    plain.template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Live chat: new chats' });
    for (const [handler] of handlerAccess()) {
      const statements = statementsOf(plain, handler);
      expect(actions(statements, 'ses')).toEqual([]);
      const publish = actions(statements, 'sns');
      expect(publish).toEqual(
        senders().includes(handler) ? [{ Effect: 'Allow', Action: 'sns:Publish', Resource: topic }] : [],
      );
    }
    expect(envOf(plain, 'stream/notify')).toMatchObject({
      [ENV.notifyTeam]: 'sns',
      [ENV.notifyTopicArn]: topic,
    });
    expect(envOf(plain, 'stream/notify')[ENV.emailFrom]).toBeUndefined();
    expect(envOf(plain, 'stream/notify')[ENV.publicUrl]).toEqual({
      'Fn::Join': [
        '',
        ['https://', { 'Fn::GetAtt': [logicalId(plain.stack.edge.distribution), 'DomainName'] }],
      ],
    });
    expect(envOf(plain, 'http/confirm-email')[ENV.emailFrom]).toBeUndefined();
    expect(plain.json.Outputs?.TeamTopicArn?.Value).toEqual(topic);
  });

  it('with a sender, grants SendEmail on its identity (and the sandbox recipients) alone, and no topic', () => {
    const sender = logicalId(mailing.stack.notifications.identity as never);
    mailing.template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'example.com' });
    const identityArn = (...name: unknown[]) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ses:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ...name,
        ],
      ],
    });
    for (const handler of senders()) {
      expect(actions(statementsOf(mailing, handler), 'ses')).toEqual([
        {
          Effect: 'Allow',
          Action: 'ses:SendEmail',
          Resource: [identityArn(':identity/', { Ref: sender }), identityArn(':identity/tester@example.org')],
        },
      ]);
      expect(actions(statementsOf(mailing, handler), 'sns')).toEqual([]);
      expect(envOf(mailing, handler)).toMatchObject({
        [ENV.notifyTeam]: 'email:team@example.com',
        [ENV.emailFrom]: 'Support <help@example.com>',
      });
    }
    // Nobody else may send.
    for (const [handler] of handlerAccess()) {
      if (!senders().includes(handler)) expect(actions(statementsOf(mailing, handler), 'ses')).toEqual([]);
    }
  });

  it.each([
    [{ notifyTeam: 'slack' }, /notifyTeam must be sns, off or email:<address>/],
    [{ notifyTeam: 'email:team@example.com' }, /needs emailFrom/],
    [{ emailFrom: 'nope' }, /emailFrom must be an address/],
    [{ emailFrom: 'a@example.com', emailIdentity: 'other.example' }, /does not cover/],
  ])('refuses the context %j', (context, message) => {
    expect(() => synthesize({ bundle: false, context })).toThrow(message);
  });

  it('reads the email context: the team topic by default, no sender; the identity from the sender', () => {
    const read = (context: Record<string, unknown>) =>
      readConfig(new App({ context }).node, '/nonexistent').email;
    expect(read({})).toEqual({
      notifyTeam: 'sns',
      from: undefined,
      identity: undefined,
      createIdentity: false,
      sandboxRecipients: [],
    });
    expect(
      read({ emailFrom: 'Help <help@mail.example.com>', sesSandboxRecipients: 'a@x.example, b@x.example' }),
    ).toEqual({
      notifyTeam: 'sns',
      from: 'Help <help@mail.example.com>',
      identity: 'mail.example.com',
      createIdentity: false,
      sandboxRecipients: ['a@x.example', 'b@x.example'],
    });
    expect(read({ emailFrom: 'help@example.com', emailIdentity: 'help@example.com' }).identity).toBe(
      'help@example.com',
    );
    expect(read({ notifyTeam: 'off' }).notifyTeam).toBe('off');
  });

  it('passes cfn-lint with a sender and its identity', () => {
    expect(cfnLint(mailing.templateFile).filter((f) => f.Level === 'Error')).toEqual([]);
  });
});
