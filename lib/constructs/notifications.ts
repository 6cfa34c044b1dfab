import { Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { EmailIdentity, Identity, type IEmailIdentity } from 'aws-cdk-lib/aws-ses';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/runtime/config.js';
import type { EmailSettings } from '../config.js';
import { ALARM_PERIOD } from './observability.js';

export interface NotificationsProps {
  readonly settings: EmailSettings;
  /**
   * The stack's public origin (the distribution's URL, resolved lazily: the distribution is built after the
   * functions), for the links in emails.
   */
  readonly publicUrl: string;
}

/** Alarm thresholds of the notifications' stream consumer, over the stacks' 5-minute period. */
export const NOTIFY_ALARM_THRESHOLDS = {
  /** Any batch given up on: a team notice or reply emails may not have gone out. */
  failures: 1,
  /** Milliseconds behind the stream: notices and emails go out late (SES failing, retries). */
  iteratorAgeMs: 60_000,
} as const;

/**
 * Email and team notices (docs/email.md): the team topic (`NOTIFY_TEAM=sns`: subscribe email, SMS or a chat
 * tool to it), the SES identity the sender's address belongs to (created here with `createEmailIdentity`, or
 * one verified before), and the grants of the functions the route table marks `email`: `sns:Publish` on the
 * topic and `ses:SendEmail` on the sender's identity, and nothing else.
 */
export class Notifications extends Construct {
  public readonly topic: Topic;
  /** The sender's identity; absent without `emailFrom` (no email at all). */
  public readonly identity?: IEmailIdentity;
  private readonly recipients: IEmailIdentity[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: NotificationsProps,
  ) {
    super(scope, id);
    this.topic = new Topic(this, 'TeamTopic', { displayName: 'Live chat: new chats', enforceSSL: true });
    const { identity, createIdentity, sandboxRecipients } = props.settings;
    if (identity) {
      this.identity = createIdentity
        ? new EmailIdentity(this, 'Sender', {
            identity: identity.includes('@') ? Identity.email(identity) : Identity.domain(identity),
          })
        : EmailIdentity.fromEmailIdentityName(this, 'Sender', identity);
      sandboxRecipients.forEach((recipient, i) => {
        this.recipients.push(EmailIdentity.fromEmailIdentityName(this, `SandboxRecipient${i}`, recipient));
      });
    }
  }

  /** The environment of a function that sends (`ENV` in lambdas/runtime/config.ts). */
  get environment(): Record<string, string> {
    const { notifyTeam, from } = this.props.settings;
    return {
      [ENV.notifyTeam]: notifyTeam,
      [ENV.publicUrl]: this.props.publicUrl,
      ...(notifyTeam === 'sns' ? { [ENV.notifyTopicArn]: this.topic.topicArn } : {}),
      ...(from ? { [ENV.emailFrom]: from } : {}),
    };
  }

  /** What a function that sends may do: publish to the topic if the team hears by it, send as the sender. */
  grantSend(grantee: IGrantable): void {
    if (this.props.settings.notifyTeam === 'sns') this.topic.grantPublish(grantee);
    if (this.identity) {
      for (const identity of [this.identity, ...this.recipients]) identity.grant(grantee, 'ses:SendEmail');
    }
  }

  /**
   * Alarms on the stream consumer, sent to the stack's alarm topic: a batch given up on
   * (`NotifyFailures`, the mapping's on-failure queue), and the consumer falling behind (`NotifyBehind`).
   */
  alarmOn(consumer: IFunction, failures: IQueue, alarmTopic: ITopic): Alarm[] {
    const action = new SnsAction(alarmTopic);
    const alarm = (alarmId: string, metric: IMetric, threshold: number, description: string) => {
      const created = new Alarm(this, alarmId, {
        alarmName: `${Stack.of(this).stackName}-${alarmId}`,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `${description} See docs/email.md.`,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };
    return [
      alarm(
        'NotifyFailures',
        failures.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: Stats.MAXIMUM }),
        NOTIFY_ALARM_THRESHOLDS.failures,
        'The notify function gave up on a batch of the table stream after its retries: team notices or ' +
          'reply emails of those rooms may be missing (SES refusing, SNS failing). The on-failure queue ' +
          'holds the batch positions.',
      ),
      alarm(
        'NotifyBehind',
        consumer.metric('IteratorAge', { period: ALARM_PERIOD, statistic: Stats.MAXIMUM }),
        NOTIFY_ALARM_THRESHOLDS.iteratorAgeMs,
        `The notify function is ${NOTIFY_ALARM_THRESHOLDS.iteratorAgeMs / 1000}+ s behind the table stream: ` +
          'team notices and reply emails go out late.',
      ),
    ];
  }
}
