import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Mailer, TeamChannel } from '../domain/email.js';
import type { OutgoingEmail, TeamNotice } from '../domain/email-content.js';
import type { EmailConfig } from './email-config.js';

/**
 * The SES v2 and SNS clients, created once per container (locally `AWS_ENDPOINT_URL_SESV2` and
 * `AWS_ENDPOINT_URL_SNS` point them at the stand-ins of local/mail.ts, which capture, never send), and the
 * mailer and team channel the settings name.
 */
const ses = new SESv2Client({});
const sns = new SNSClient({});

/** SES v2 `SendEmail`, plain text in UTF-8, from the configured sender. */
export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESv2Client,
    private readonly from: string,
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [email.to] },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' } },
          },
        },
      }),
    );
  }
}

/** The team's notices as messages on the stack's SNS topic (subscribe email, SMS, chat tools to it). */
export class SnsTeamChannel implements TeamChannel {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(notice: TeamNotice): Promise<void> {
    await this.client.send(
      new PublishCommand({ TopicArn: this.topicArn, Subject: notice.subject, Message: notice.text }),
    );
  }
}

/** The team's notices as an email to the team's address. */
export class EmailTeamChannel implements TeamChannel {
  constructor(
    private readonly mailer: Mailer,
    private readonly address: string,
  ) {}

  notify(notice: TeamNotice): Promise<void> {
    return this.mailer.send({ to: this.address, ...notice });
  }
}

/** The mailer for customers: only with a sender and a public URL (every customer email carries a link). */
export function customerMailer(settings: EmailConfig): Mailer | undefined {
  return settings.from && settings.publicUrl ? new SesMailer(ses, settings.from) : undefined;
}

/** The team channel `NOTIFY_TEAM` names, or none when it is `off`. */
export function teamChannel(settings: EmailConfig): TeamChannel | undefined {
  const { team } = settings;
  if (team.kind === 'sns') return new SnsTeamChannel(sns, team.topicArn);
  if (team.kind === 'email' && settings.from)
    return new EmailTeamChannel(new SesMailer(ses, settings.from), team.address);
  return undefined;
}
