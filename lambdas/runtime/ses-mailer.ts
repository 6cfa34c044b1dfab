import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Mailer } from '../domain/email.js';
import type { OutgoingEmail } from '../domain/email-content.js';
import type { EmailConfig } from './email-config.js';

/**
 * The SES v2 client, created once per container (locally `AWS_ENDPOINT_URL_SESV2` points it at the stand-in
 * of local/mail.ts, which captures, never sends), and the mailers the settings allow. Only the functions that
 * send import it; the SNS client is in team-channel.ts, so the confirmation request does not carry it.
 */
export const ses = new SESv2Client({});

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

/** The mailer for customers: only with a sender and a public URL (every customer email carries a link). */
export function customerMailer(settings: EmailConfig): Mailer | undefined {
  return settings.from && settings.publicUrl ? new SesMailer(ses, settings.from) : undefined;
}
