import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Mailer, TeamChannel } from '../domain/email.js';
import type { TeamNotice } from '../domain/email-content.js';
import type { EmailConfig } from './email-config.js';
import { SesMailer, ses } from './ses-mailer.js';

/** The SNS client, created once per container (locally `AWS_ENDPOINT_URL_SNS` points it at local/mail.ts). */
const sns = new SNSClient({});

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

/** The team channel `NOTIFY_TEAM` names, or none when it is `off`. */
export function teamChannel(settings: EmailConfig): TeamChannel | undefined {
  const { team } = settings;
  if (team.kind === 'sns') return new SnsTeamChannel(sns, team.topicArn);
  if (team.kind === 'email' && settings.from)
    return new EmailTeamChannel(new SesMailer(ses, settings.from), team.address);
  return undefined;
}
