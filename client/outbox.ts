import { type BackoffOptions, backoffDelay } from './backoff.js';
import { type ChatError, ChatTimeoutError, retryAfterMs } from './errors.js';
import type { Message } from './wire.js';

/** A message the client has accepted but the server has not acknowledged yet. */
export interface PendingSend {
  readonly roomId: string;
  readonly clientMessageId: string;
  readonly content: string;
  /** Epoch ms of the `send()` call. */
  readonly queuedAt: number;
}

/** Makes a `client_message_id` (the server accepts 1 to 64 of `[A-Za-z0-9_.:-]`). */
export function newClientMessageId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `c-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Server error codes that mean "try again": the send is idempotent by its `client_message_id`.
 * `send_in_progress`: another copy of this send holds its claim and has not stored it yet.
 */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'internal_error',
  'throttled',
  'rate_limited',
  'send_in_progress',
]);

export interface OutboxOptions {
  /** No ack for this long means the connection is dead. @default 15_000 */
  readonly ackTimeoutMs?: number | undefined;
  /** Writes of one message before its promise rejects with {@link ChatTimeoutError}. @default 5 */
  readonly maxAttempts?: number | undefined;
  /** Delay before resending after a retryable failure. @default { baseMs: 500, maxMs: 30_000 } */
  readonly retry?: BackoffOptions | undefined;
  readonly random?: (() => number) | undefined;
}

/** The outbox's I/O, done by its owner. */
export interface OutboxIo {
  /** Sends the message frame, if the room's subscription is confirmed and a socket is open. */
  write(item: PendingSend): boolean;
  /** An ack did not come in time: the connection is presumed dead (the send goes again after reconnecting). */
  unresponsive(): void;
  /** What is pending changed. */
  changed(pending: readonly PendingSend[]): void;
}

interface Item extends PendingSend {
  resolve(message: Message): void;
  reject(error: Error): void;
  attempts: number;
  lastError: ChatError | undefined;
}

/**
 * A room's sends, one in flight at a time so that messages are stored in the order they were written (the
 * server may run frames of one socket concurrently). A send resolves on its `ack`, or on the room's
 * `message` frame carrying its `client_message_id` (which may come first). A retryable refusal or an
 * API Gateway error frame resends it with the same `client_message_id` after a jittered backoff; no ack in
 * `ackTimeoutMs` drops the connection and resends after reconnecting. After `maxAttempts` writes without
 * success the send rejects with {@link ChatTimeoutError}; a final refusal rejects with the server's error.
 */
export class Outbox {
  private readonly queue: Item[] = [];
  /** The head send, written and awaiting its answer, or waiting out a retry delay. */
  private inFlight: { item: Item; timer: ReturnType<typeof setTimeout>; backoff: boolean } | undefined;

  constructor(
    readonly roomId: string,
    private readonly io: OutboxIo,
    private readonly options: OutboxOptions = {},
  ) {}

  /** Queues a message; resolves with the stored message. */
  send(content: string, clientMessageId: string): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      this.queue.push({
        roomId: this.roomId,
        clientMessageId,
        content,
        queuedAt: Date.now(),
        resolve,
        reject,
        attempts: 0,
        lastError: undefined,
      });
      this.changed();
      this.pump();
    });
  }

  /** Unacknowledged sends, oldest first (the one in flight included). */
  pending(): PendingSend[] {
    return [...(this.inFlight ? [this.inFlight.item] : []), ...this.queue].map(publicSend);
  }

  /** The `client_message_id` awaiting its answer, if any. */
  inFlightId(): string | undefined {
    return this.inFlight?.item.clientMessageId;
  }

  /** Sends the next message if none is in flight and the owner can write. */
  pump(): void {
    if (this.inFlight) return;
    const item = this.queue[0];
    if (!item || !this.io.write(item)) return;
    this.queue.shift();
    item.attempts += 1;
    const timer = setTimeout(() => this.onAckTimeout(), this.options.ackTimeoutMs ?? 15_000);
    this.inFlight = { item, timer, backoff: false };
  }

  /** The stored message of the send in flight (its ack, or its own message frame). */
  settle(clientMessageId: string | null, message: Message): void {
    const inFlight = this.inFlight;
    if (!inFlight || clientMessageId === null || inFlight.item.clientMessageId !== clientMessageId) return;
    clearTimeout(inFlight.timer);
    this.inFlight = undefined;
    inFlight.item.resolve(message);
    this.changed();
    this.pump();
  }

  /**
   * The send in flight failed: `clientMessageId` names it, or is undefined for an API Gateway error frame,
   * which names nothing (every request in flight takes it as its own; sends are idempotent).
   */
  fail(error: ChatError, clientMessageId?: string): void {
    const inFlight = this.inFlight;
    if (!inFlight || inFlight.backoff) return;
    if (clientMessageId !== undefined && inFlight.item.clientMessageId !== clientMessageId) return;
    const { item } = inFlight;
    clearTimeout(inFlight.timer);
    item.lastError = error;
    if (!RETRYABLE_CODES.has(error.code) && clientMessageId !== undefined) {
      this.inFlight = undefined;
      item.reject(error);
      this.changed();
      this.pump();
      return;
    }
    if (item.attempts >= this.maxAttempts()) {
      this.giveUp();
      return;
    }
    // No sooner than a rate limit says it allows the frame again.
    const delay = Math.max(
      backoffDelay(item.attempts - 1, this.options.retry, this.options.random),
      retryAfterMs(error),
    );
    this.inFlight = {
      item,
      backoff: true,
      timer: setTimeout(() => {
        this.inFlight = undefined;
        this.queue.unshift(item);
        this.pump();
      }, delay),
    };
  }

  /** The server lost the room's subscription: the send goes again once it is back. */
  requeue(clientMessageId?: string): void {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    if (clientMessageId !== undefined && inFlight.item.clientMessageId !== clientMessageId) return;
    clearTimeout(inFlight.timer);
    this.inFlight = undefined;
    this.queue.unshift(inFlight.item);
  }

  /** The socket is gone: what was in flight goes first after reconnecting. */
  lost(): void {
    this.requeue();
  }

  /** Rejects everything (unfollow, close, a room that no longer exists). */
  dispose(error: Error): void {
    const items = [...(this.inFlight ? [this.inFlight.item] : []), ...this.queue];
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = undefined;
    this.queue.length = 0;
    for (const item of items) item.reject(error);
    if (items.length > 0) this.io.changed([]);
  }

  private onAckTimeout(): void {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    // The last attempt went unanswered too: give up on it rather than resend it forever.
    if (inFlight.item.attempts >= this.maxAttempts()) this.giveUp();
    this.io.unresponsive();
  }

  private giveUp(): void {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    clearTimeout(inFlight.timer);
    this.inFlight = undefined;
    const { item } = inFlight;
    item.reject(
      new ChatTimeoutError(
        `Not sent: no answer from the server after ${item.attempts} attempts`,
        item.attempts,
        this.roomId,
        item.clientMessageId,
        { cause: item.lastError },
      ),
    );
    this.changed();
    this.pump();
  }

  private maxAttempts(): number {
    return this.options.maxAttempts ?? 5;
  }

  private changed(): void {
    this.io.changed(this.pending());
  }
}

function publicSend(item: Item): PendingSend {
  return {
    roomId: item.roomId,
    clientMessageId: item.clientMessageId,
    content: item.content,
    queuedAt: item.queuedAt,
  };
}
