import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LambdaRuntime } from './lambda-runtime.js';

/**
 * The consumer, as the stack's event source mapping invokes it; without one the queue only keeps what it is
 * sent (see {@link LocalQueue.messages}), as a queue that nothing polls (an on-failure destination).
 */
export type LocalQueueConsumer =
  | { readonly runtime: LambdaRuntime; readonly handler: string }
  | { readonly runtime?: undefined; readonly handler?: undefined };

export type LocalQueueOptions = LocalQueueConsumer & {
  readonly name?: string;
  /** Seconds until a message that failed is offered again, as SQS's visibility timeout. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the dead-letter queue, as the redrive policy. @default 3 */
  readonly maxReceiveCount?: number;
  /** Multiplies every delay (DelaySeconds, visibility timeout), so tests run in milliseconds. @default 1 */
  readonly timeScale?: number;
  readonly host?: string;
  readonly log?: (line: string) => void;
};

interface Stored {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receives: number;
}

/**
 * An SQS queue with a Lambda event source mapping, locally: the SQS JSON protocol for `SendMessage` and
 * `SendMessageBatch` (what the SDK's SQS client speaks; set `AWS_ENDPOINT_URL_SQS` to {@link url}), delivery
 * after `DelaySeconds` to the consumer in SQS event shapes, `batchItemFailures` offered again after the
 * visibility timeout, and a dead-letter queue after `maxReceiveCount` receives.
 */
export class LocalQueue {
  readonly name: string;
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly dead: Stored[] = [];
  private readonly kept: Stored[] = [];
  private readonly pending = new Set<Promise<void>>();
  private endpoint = '';
  private sentCount = 0;

  constructor(private readonly options: LocalQueueOptions) {
    this.name = options.name ?? 'live-chat-redelivery';
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.send(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: String(error) });
      });
    });
  }

  async start(port = 0): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    this.endpoint = `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  /** The SQS endpoint (`AWS_ENDPOINT_URL_SQS`). */
  get url(): string {
    return this.endpoint;
  }

  /** The queue URL handlers send to (`REDELIVERY_QUEUE_URL`). */
  get queueUrl(): string {
    return `${this.endpoint}/000000000000/${this.name}`;
  }

  /** Messages sent to the queue so far. */
  sent(): number {
    return this.sentCount;
  }

  /** Bodies a queue without a consumer holds, oldest first (a consumer's queue hands them on instead). */
  messages(): string[] {
    return this.kept.map((m) => m.body);
  }

  /** Sends a message as another AWS service does (an event source mapping's on-failure destination). */
  sendMessage(body: string, delaySeconds = 0): string {
    return this.accept(body, delaySeconds).messageId;
  }

  /** Bodies that exhausted their receives, oldest first, as the dead-letter queue holds them. */
  deadLetters(): string[] {
    return this.dead.map((m) => m.body);
  }

  /** Waits for every delivery in flight or scheduled to finish (tests). */
  async drain(): Promise<void> {
    while (this.timers.size > 0 || this.pending.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.all([...this.pending]);
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.pending]);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target === 'AmazonSQS.SendMessage') {
      const stored = this.accept(String(input.MessageBody), Number(input.DelaySeconds ?? 0));
      return this.send(res, 200, { MessageId: stored.messageId, MD5OfMessageBody: md5(stored.body) });
    }
    if (target === 'AmazonSQS.SendMessageBatch') {
      const entries = (input.Entries ?? []) as { Id: string; MessageBody: string; DelaySeconds?: number }[];
      const successful = entries.map((entry) => {
        const stored = this.accept(entry.MessageBody, entry.DelaySeconds ?? 0);
        return { Id: entry.Id, MessageId: stored.messageId, MD5OfMessageBody: md5(stored.body) };
      });
      return this.send(res, 200, { Successful: successful, Failed: [] });
    }
    this.send(res, 400, { __type: 'com.amazonaws.sqs#InvalidAction', message: `Unsupported ${target}` });
  }

  private accept(body: string, delaySeconds: number): Stored {
    const stored: Stored = { messageId: randomUUID(), body, sentAt: Date.now(), receives: 0 };
    this.sentCount += 1;
    this.options.log?.(`SQS ${this.name} SendMessage (delay ${delaySeconds} s)`);
    this.schedule(stored, delaySeconds);
    return stored;
  }

  private schedule(stored: Stored, seconds: number): void {
    // Nothing polls a queue without a consumer: a message is there as soon as it is visible.
    if (!this.options.runtime && seconds <= 0) {
      this.kept.push(stored);
      return;
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        const delivery = this.deliver(stored).finally(() => this.pending.delete(delivery));
        this.pending.add(delivery);
      },
      seconds * 1000 * (this.options.timeScale ?? 1),
    );
    this.timers.add(timer);
  }

  /** One receive: the consumer gets a batch of this one message, as an event source mapping sends it. */
  private async deliver(stored: Stored): Promise<void> {
    const { runtime, handler } = this.options;
    if (!runtime) {
      this.kept.push(stored);
      return;
    }
    stored.receives += 1;
    const event: SQSEvent = { Records: [record(stored, this.name)] };
    const result = await runtime.invoke(handler, event);
    const failures = result.error ? [stored.messageId] : failedIds(result.value);
    if (!failures.includes(stored.messageId)) return;
    if (stored.receives >= (this.options.maxReceiveCount ?? 3)) {
      this.dead.push(stored);
      this.options.log?.(`SQS ${this.name} moved ${stored.messageId} to the dead-letter queue`);
      return;
    }
    this.schedule(stored, this.options.visibilityTimeoutSeconds ?? 60);
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(body));
  }
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

function failedIds(value: unknown): string[] {
  const response = value as SQSBatchResponse | undefined;
  return (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
}

function record(stored: Stored, queue: string): SQSRecord {
  return {
    messageId: stored.messageId,
    receiptHandle: `${stored.messageId}#${stored.receives}`,
    body: stored.body,
    attributes: {
      ApproximateReceiveCount: String(stored.receives),
      SentTimestamp: String(stored.sentAt),
      SenderId: '000000000000',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: md5(stored.body),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:local:000000000000:${queue}`,
    awsRegion: 'local',
  };
}
