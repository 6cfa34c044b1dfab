import { type BackoffOptions, backoffDelay } from './backoff.js';
import { type ChatError, ChatTimeoutError, retryAfterMs } from './errors.js';

export interface SubscriptionOptions {
  /** No answer for this long counts as a failed attempt. @default 10_000 */
  readonly timeoutMs?: number | undefined;
  /** Failed attempts before the callers waiting for the answer are rejected. @default 5 */
  readonly maxAttempts?: number | undefined;
  /** Delay before trying again. @default { baseMs: 500, maxMs: 30_000 } */
  readonly retry?: BackoffOptions | undefined;
  readonly random?: (() => number) | undefined;
}

/** The subscription's I/O, done by its owner. */
export interface SubscriptionIo {
  /** Sends the subscribe frame; false when no socket is open (it is sent again on the next one). */
  write(): boolean;
  /** An answer did not come in time: check that the connection is alive. */
  unanswered(): void;
  /** `maxAttempts` attempts failed in a row (whoever waited is rejected); the subscription keeps trying. */
  exhausted(error: ChatTimeoutError): void;
}

type Phase = 'idle' | 'sent' | 'backoff' | 'confirmed';

/**
 * One subscription the client keeps (a room, or the staff queue) on the current socket: sent on every new
 * socket, confirmed by the server's answer, and tried again, after a jittered backoff, when the answer does
 * not come within `timeoutMs` or is a retryable failure (a throttled or failed frame). Whoever waits for it
 * is rejected with {@link ChatTimeoutError} after `maxAttempts` failed attempts, but the subscription goes
 * on trying while it is wanted (the backoff grows to its maximum), so a room is never left unsubscribed
 * for a socket's whole life.
 */
export class Subscription {
  private phase: Phase = 'idle';
  /** Failed attempts since the last confirmation. */
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastError: ChatError | undefined;
  /** The last failed attempt got no answer at all (rather than an error). */
  private silent = false;
  private readonly waiters: { resolve(): void; reject(error: Error): void }[] = [];

  constructor(
    private readonly what: string,
    private readonly io: SubscriptionIo,
    private readonly options: SubscriptionOptions = {},
    private readonly roomId?: string,
  ) {}

  get confirmed(): boolean {
    return this.phase === 'confirmed';
  }

  /**
   * Whether the server may hold this subscription on the current socket: confirmed, awaiting its answer, or
   * waiting to retry one that went unanswered (it may have succeeded). Then an unsubscribe is due on unfollow.
   */
  get requested(): boolean {
    return this.phase === 'sent' || this.phase === 'confirmed' || (this.phase === 'backoff' && this.silent);
  }

  /** Resolves once the server confirms. */
  wait(): Promise<void> {
    if (this.phase === 'confirmed') return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Sends the subscribe frame unless one is out, confirmed, or waiting for its retry. */
  request(): void {
    if (this.phase !== 'idle') return;
    if (!this.io.write()) return;
    this.phase = 'sent';
    this.arm(this.options.timeoutMs ?? 10_000, () => this.failed(undefined));
  }

  /** The server confirmed: whoever waits is resolved. */
  confirm(): void {
    this.clear();
    this.phase = 'confirmed';
    this.failures = 0;
    this.lastError = undefined;
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  /**
   * The attempt failed: no answer (`error` undefined), a retryable error frame, or an API Gateway error
   * frame while this subscribe was awaiting its answer. Tries again after a backoff.
   */
  failed(error: ChatError | undefined): void {
    if (this.phase !== 'sent') return;
    this.clear();
    this.silent = error === undefined;
    if (error) this.lastError = error;
    else this.io.unanswered();
    this.failures += 1;
    const maxAttempts = this.options.maxAttempts ?? 5;
    if (this.failures >= maxAttempts) {
      const timeout = new ChatTimeoutError(
        `No confirmed subscription to ${this.what} after ${this.failures} attempts`,
        this.failures,
        this.roomId,
        undefined,
        { cause: this.lastError },
      );
      for (const waiter of this.waiters.splice(0)) waiter.reject(timeout);
      // Said once per run of failures; later callers of wait() are rejected at the next failure.
      if (this.failures === maxAttempts) this.io.exhausted(timeout);
    }
    this.phase = 'backoff';
    const delay = backoffDelay(this.failures - 1, this.options.retry, this.options.random);
    // No sooner than a rate limit says it allows the frame again.
    this.arm(Math.max(delay, retryAfterMs(error)), () => {
      this.phase = 'idle';
      this.request();
    });
  }

  /** The subscription is gone from the server, or the socket is: subscribe again (now, if a socket is open). */
  reset(): void {
    this.clear();
    this.phase = 'idle';
  }

  /** Rejects whoever waits and stops trying. */
  dispose(error: Error): void {
    this.clear();
    this.phase = 'idle';
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private arm(ms: number, run: () => void): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      run();
    }, ms);
  }

  private clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
