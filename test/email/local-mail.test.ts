import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { LOCAL_TEAM_TOPIC_ARN, MAIL_PAGE_PATH } from '../../local/mail.js';
import { useCast, useLocalStack } from '../support/stack.js';
import { openRoom } from './support.js';

// The local SES v2 and SNS stand-ins: the SDK's own calls, answered as AWS answers them, every message
// captured and shown at /local/mail, none sent. Here the team is told through the stack's topic (NOTIFY_TEAM=sns).

const stack = useLocalStack({
  stream: { batchWindowMs: 'manual', shards: 1 },
  environment: { NOTIFY_TEAM: 'sns' },
});
const cast = useCast(stack);

const ses = () => new SESv2Client({ endpoint: stack.current.mail.url, region: 'us-east-1' });
const sns = () => new SNSClient({ endpoint: stack.current.mail.url, region: 'us-east-1' });
const email = (from: string, subject = 'Hi') =>
  new SendEmailCommand({
    FromEmailAddress: from,
    Destination: { ToAddresses: ['x@example.com'] },
    Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: '<b>not markup</b>' } } } },
  });

describe('local SES and SNS', () => {
  it('publishes the team notice on the stack topic when NOTIFY_TEAM=sns', async () => {
    const before = stack.current.mail.messages().length;
    await openRoom(stack.current, cast.tokens.alice, 'Via the topic');
    await stack.current.stream.flush();
    const sent = stack.current.mail.messages().slice(before);
    expect(sent.map((mail) => [mail.via, mail.to, mail.subject])).toEqual([
      ['sns', [LOCAL_TEAM_TOPIC_ARN], 'New chat while nobody is online: Via the topic'],
    ]);
    expect(stack.current.mail.calls.Publish).toBe(1);
  });

  it('publishes the notice of a room whose subject is long and not ASCII: a subject SNS takes (under 100)', async () => {
    const before = stack.current.mail.messages().length;
    const failed = stack.current.stream.stats().failedInvocations;
    // 80 emoji: 80 characters, 160 UTF-16 code units. SNS wants a subject of fewer than 100 characters.
    await openRoom(stack.current, cast.tokens.alice, '\u{1F4E6}'.repeat(80));
    await stack.current.stream.flush();
    expect(stack.current.stream.stats().failedInvocations).toBe(failed);
    const sent = stack.current.mail.messages().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject.length).toBeLessThan(100);
    expect(sent[0]?.subject).toMatch(/^New chat while nobody is online: \u{1F4E6}+…$/u);
  });

  it('takes an email from a verified identity and refuses one from any other, as SES does', async () => {
    const { MessageId } = await ses().send(email('Support <help@live-chat.local.invalid>'));
    expect(MessageId).toEqual(expect.any(String));
    expect(stack.current.mail.to('x@example.com').map((mail) => mail.id)).toEqual([MessageId]);
    await expect(ses().send(email('someone@gmail.com'))).rejects.toMatchObject({
      name: 'MessageRejected',
      $metadata: { httpStatusCode: 400 },
    });
    expect(stack.current.mail.to('x@example.com')).toHaveLength(1);
  });

  it('refuses a publish to a topic that does not exist, or with a subject SNS would refuse', async () => {
    await expect(
      sns().send(new PublishCommand({ TopicArn: `${LOCAL_TEAM_TOPIC_ARN}-nope`, Message: 'x' })),
    ).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(
      sns().send(new PublishCommand({ TopicArn: LOCAL_TEAM_TOPIC_ARN, Subject: 'a\nb', Message: 'x' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('shows every captured message at /local/mail, text escaped, newest first', async () => {
    await ses().send(email('help@live-chat.local.invalid', 'Newest <script>'));
    const response = await fetch(`${stack.current.httpUrl}${MAIL_PAGE_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'",
    );
    const html = await response.text();
    expect(html).toContain('&lt;b&gt;not markup&lt;/b&gt;');
    expect(html).not.toContain('<b>not markup</b>');
    expect(html).not.toContain('<script>');
    expect(html.indexOf('Newest &lt;script&gt;')).toBeLessThan(html.indexOf('Via the topic'));
    expect(html).toContain(`${stack.current.mail.messages().length} messages. Nothing here was sent.`);
  });
});
