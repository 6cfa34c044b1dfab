import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The local sender: on a reserved domain (RFC 2606 `.invalid`), so nothing could ever deliver it. */
export const LOCAL_EMAIL_FROM = 'support@live-chat.local.invalid';
/** Where `npm start` sends the team's notices (`NOTIFY_TEAM=email:…`). */
export const LOCAL_TEAM_ADDRESS = 'team@live-chat.local.invalid';
/** The local team topic's ARN, as SNS would name it. */
export const LOCAL_TEAM_TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:live-chat-local-team';

/** One message the stand-ins took: an email SES would have sent, or a notice SNS would have published. */
export interface CapturedMail {
  readonly id: string;
  /** Epoch ms. */
  readonly at: number;
  readonly via: 'ses' | 'sns';
  /** The sender (SES), or the topic (SNS). */
  readonly from: string;
  /** The recipients (SES), or the topic's ARN (SNS). */
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

export interface LocalMailOptions {
  readonly host?: string;
  /**
   * Identities SES may send from: addresses, or domains that cover every address at them (as SES's verified
   * identities do). A `FromEmailAddress` outside them is refused `MessageRejected`, as SES refuses it.
   * @default the domain of {@link LOCAL_EMAIL_FROM}
   */
  readonly verifiedIdentities?: readonly string[];
  /** Topics SNS knows. @default [{@link LOCAL_TEAM_TOPIC_ARN}] */
  readonly topics?: readonly string[];
  /** One line per message taken, and per refusal. */
  readonly log?: (line: string) => void;
  /** Told of each message taken (npm start prints it). */
  readonly onMail?: (mail: CapturedMail) => void;
}

/**
 * SES v2 and SNS, locally: the two calls the functions make (`SendEmail`, in SES v2's REST-JSON protocol at
 * `POST /v2/email/outbound-emails`, and `Publish`, in SNS's query protocol at `POST /`), answered as AWS
 * answers them, so the handlers' SDK code runs unchanged with `AWS_ENDPOINT_URL_SESV2` and
 * `AWS_ENDPOINT_URL_SNS` pointing here. Nothing is ever sent: every message is kept in memory, logged, and
 * shown by {@link mailPage} at `/local/mail` of the local stack.
 */
export class LocalMail {
  private server: Server | undefined;
  private readonly captured: CapturedMail[] = [];
  private failures = 0;
  /** Calls answered, refusals included, by operation. */
  readonly calls = { SendEmail: 0, Publish: 0 };

  constructor(private readonly options: LocalMailOptions = {}) {}

  /** `http://host:port`: the endpoint of both services. */
  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    return address ? `http://${address.address}:${address.port}` : '';
  }

  /** Every message taken, oldest first. */
  messages(): readonly CapturedMail[] {
    return [...this.captured];
  }

  /** Emails (SES) to one address, oldest first. */
  to(address: string): readonly CapturedMail[] {
    return this.captured.filter((mail) => mail.via === 'ses' && mail.to.includes(address));
  }

  clear(): void {
    this.captured.length = 0;
  }

  /**
   * Answers the next `count` calls 500 (`InternalFailure`), as the services do when they fail: the SDK
   * retries a 500 (three attempts by default), so 3 fails one send. For the tests of what a failed send leaves.
   */
  failNext(count: number): void {
    this.failures = count;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: String(error) }));
      });
    });
    await new Promise<void>((resolve) =>
      this.server?.listen(0, this.options.host ?? '127.0.0.1', () => resolve()),
    );
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<ServerResponse> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method === 'POST' && path === '/v2/email/outbound-emails') {
      this.calls.SendEmail++;
      return this.sendEmail(JSON.parse(body || '{}') as SendEmailBody, response);
    }
    if (request.method === 'POST' && path === '/') {
      const form = new URLSearchParams(body);
      if (form.get('Action') === 'Publish') {
        this.calls.Publish++;
        return this.publish(form, response);
      }
      return snsError(response, 400, 'InvalidAction', `Unsupported action ${form.get('Action')}`);
    }
    return response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not found"}');
  }

  private takeFailure(): boolean {
    if (this.failures <= 0) return false;
    this.failures -= 1;
    return true;
  }

  private sendEmail(body: SendEmailBody, response: ServerResponse): ServerResponse {
    if (this.takeFailure()) return sesError(response, 500, 'InternalFailure', 'Injected failure');
    const from = body.FromEmailAddress ?? '';
    const to = body.Destination?.ToAddresses ?? [];
    const simple = body.Content?.Simple;
    if (!simple?.Subject?.Data || (!simple.Body?.Text?.Data && !simple.Body?.Html?.Data)) {
      return sesError(response, 400, 'BadRequestException', 'Only Simple content with a subject and a body');
    }
    if (to.length === 0) return sesError(response, 400, 'BadRequestException', 'No recipient');
    if (!this.isVerified(from)) {
      this.options.log?.(`MAIL refused: ${from} is not a verified identity`);
      return sesError(
        response,
        400,
        'MessageRejected',
        `Email address is not verified. The following identities failed the check in region US-EAST-1: ${from}`,
      );
    }
    const mail = this.capture({
      via: 'ses',
      from,
      to,
      subject: simple.Subject.Data,
      text: simple.Body?.Text?.Data ?? simple.Body?.Html?.Data ?? '',
    });
    return response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ MessageId: mail.id }));
  }

  private publish(form: URLSearchParams, response: ServerResponse): ServerResponse {
    if (this.takeFailure()) return snsError(response, 500, 'InternalFailure', 'Injected failure');
    const topicArn = form.get('TopicArn') ?? '';
    if (!(this.options.topics ?? [LOCAL_TEAM_TOPIC_ARN]).includes(topicArn)) {
      return snsError(response, 404, 'NotFound', 'Topic does not exist');
    }
    const subject = form.get('Subject') ?? '';
    // SNS's own rules for a subject: less than 100 characters (here UTF-16 code units, the strict reading),
    // printable, no line break.
    if (subject.length >= 100 || /[\r\n]/.test(subject)) {
      return snsError(response, 400, 'InvalidParameter', 'Invalid parameter: Subject');
    }
    const mail = this.capture({
      via: 'sns',
      from: topicArn,
      to: [topicArn],
      subject,
      text: form.get('Message') ?? '',
    });
    return response
      .writeHead(200, { 'content-type': 'text/xml' })
      .end(
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${mail.id}` +
          `</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId>` +
          '</ResponseMetadata></PublishResponse>',
      );
  }

  private isVerified(from: string): boolean {
    const address = (/<([^>]+)>\s*$/.exec(from)?.[1] ?? from).trim().toLowerCase();
    const domain = address.split('@')[1] ?? '';
    const identities = (this.options.verifiedIdentities ?? [LOCAL_EMAIL_FROM.split('@')[1] as string]).map(
      (identity) => identity.toLowerCase(),
    );
    return identities.includes(address) || identities.includes(domain);
  }

  private capture(fields: Omit<CapturedMail, 'id' | 'at'>): CapturedMail {
    const mail: CapturedMail = { id: randomUUID(), at: Date.now(), ...fields };
    this.captured.push(mail);
    this.options.log?.(
      `MAIL ${mail.via.toUpperCase()} to ${mail.to.join(', ')}: ${JSON.stringify(mail.subject)} (captured, not sent)`,
    );
    this.options.onMail?.(mail);
    return mail;
  }
}

/** The body of SES v2 `SendEmail`, the parts read here. */
interface SendEmailBody {
  readonly FromEmailAddress?: string;
  readonly Destination?: { readonly ToAddresses?: string[] };
  readonly Content?: {
    readonly Simple?: {
      readonly Subject?: { readonly Data?: string };
      readonly Body?: {
        readonly Text?: { readonly Data?: string };
        readonly Html?: { readonly Data?: string };
      };
    };
  };
}

/** An SES v2 error: the type in `x-amzn-ErrorType`, as the REST-JSON protocol has it. */
function sesError(response: ServerResponse, status: number, type: string, message: string): ServerResponse {
  return response
    .writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type })
    .end(JSON.stringify({ message }));
}

/** An SNS error, in the query protocol's XML. */
function snsError(response: ServerResponse, status: number, code: string, message: string): ServerResponse {
  return response
    .writeHead(status, { 'content-type': 'text/xml' })
    .end(
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${
        status >= 500 ? 'Receiver' : 'Sender'
      }</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
}

/** The line `npm start` prints for each message taken. */
export const mailLine = (mail: CapturedMail): string =>
  `MAIL ${mail.via.toUpperCase()} to ${mail.to.join(', ')}: ${JSON.stringify(mail.subject)} (captured, not sent; see ${MAIL_PAGE_PATH})`;

/** The path of the captured-mail page on the local stack. */
export const MAIL_PAGE_PATH = '/local/mail';

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string,
  );

/**
 * Answers `GET /local/mail`: every captured message, newest first, as a page (plain text in `<pre>`, escaped:
 * a message's text is never markup). Returns false for any other request.
 */
export function mailPage(mail: LocalMail, request: IncomingMessage, response: ServerResponse): boolean {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path !== MAIL_PAGE_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
  const items = [...mail.messages()].reverse();
  const rows = items
    .map(
      (m) =>
        `<article><h2>${escapeHtml(m.subject || '(no subject)')}</h2><p>${m.via.toUpperCase()} · ${escapeHtml(
          new Date(m.at).toISOString(),
        )} · from ${escapeHtml(m.from)} · to ${escapeHtml(m.to.join(', '))}</p><pre>${escapeHtml(m.text)}</pre></article>`,
    )
    .join('\n');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Captured mail</title><style>body{font:14px system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}article{border-top:1px solid #ccc;padding:.5rem 0}h2{font-size:1rem;margin:.5rem 0}p{color:#555;margin:0}pre{white-space:pre-wrap}</style></head><body><main><h1>Captured mail</h1><p>What the local SES and SNS stand-ins took: ${
    items.length
  } message${items.length === 1 ? '' : 's'}. Nothing here was sent.</p>${rows}</main></body></html>`;
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  response.end(request.method === 'HEAD' ? undefined : html);
  return true;
}
