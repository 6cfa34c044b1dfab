import { ChatClosedError, type ChatError } from './errors.js';
import { QueueSummaries } from './queue-summaries.js';
import { Subscription, type SubscriptionOptions } from './subscription.js';
import type { ClientFrame, QueueEventData, RoomSummary } from './wire.js';

/** What the staff queue needs from its socket. */
export interface StaffQueueHost {
  write(frame: ClientFrame): boolean;
  probe(): void;
  error(error: ChatError): void;
  /** The queue's subscription was confirmed or ended (the `queue` event). */
  event(data: QueueEventData): void;
  /** Summaries no older than any before them of their room (the `queue_rooms` event). */
  rooms(rooms: readonly RoomSummary[]): void;
  /** Who types in a room of the queue changed (the `queue_typing` event). */
  typing(roomId: string, userIds: readonly string[]): void;
}

/**
 * The staff queue's subscription (`{"type":"subscribe","queue":true}`), between `follow()` and `unfollow()`:
 * sent on every new socket, retried like any subscription, and put right when the server handles an
 * unsubscribe and a subscribe of one socket in the other order; and the {@link QueueSummaries} of its
 * `queue` frames.
 */
export class StaffQueue {
  private subscription: Subscription | undefined;
  private readonly rooms: QueueSummaries;

  constructor(
    private readonly host: StaffQueueHost,
    private readonly options: SubscriptionOptions,
  ) {
    this.rooms = new QueueSummaries(host);
  }

  /** Whether the queue is followed (confirmed or not). */
  get followed(): boolean {
    return this.subscription !== undefined;
  }

  /** Whether the server may hold the queue's subscription on this socket. */
  get requested(): boolean {
    return this.subscription?.requested ?? false;
  }

  follow(): Promise<void> {
    if (!this.subscription) {
      this.subscription = new Subscription(
        'the staff queue',
        {
          write: () => this.host.write({ type: 'subscribe', queue: true }),
          unanswered: () => this.host.probe(),
          exhausted: (error) => this.host.error(error),
        },
        this.options,
      );
      this.subscription.request();
    }
    return this.subscription.wait();
  }

  unfollow(error: Error = new ChatClosedError('The staff queue is no longer followed')): void {
    const subscription = this.subscription;
    if (!subscription) return;
    this.subscription = undefined;
    if (subscription.requested) this.host.write({ type: 'unsubscribe', queue: true });
    subscription.dispose(error);
    this.rooms.clear();
  }

  /** A `queue` frame's summaries: taken while the queue is followed (one may come just after unfollowing). */
  summaries(rooms: readonly RoomSummary[]): void {
    if (this.subscription) this.rooms.receive(rooms);
  }

  /** A new socket is open. */
  opened(): void {
    this.subscription?.request();
  }

  /** The socket is gone. */
  lost(): void {
    this.subscription?.reset();
  }

  /** A retryable failure of the queue's subscribe (an error frame, or API Gateway's). */
  failed(error: ChatError): void {
    this.subscription?.failed(error);
  }

  /** The server refused the queue (`staff_only`): it is no longer followed. */
  refused(error: Error): void {
    this.subscription?.dispose(error);
    this.subscription = undefined;
  }

  /** Closes for good, without an unsubscribe frame. */
  dispose(error: Error): void {
    this.refused(error);
    this.rooms.dispose();
  }

  /** The server's answer: `{"type":"room","data":{"event":…,"queue":true}}`. */
  answered(data: QueueEventData): void {
    if (data.event === 'subscribed') {
      if (!this.subscription) {
        // An unsubscribe the server handled before this subscribe (frames of a socket may run concurrently).
        this.host.write({ type: 'unsubscribe', queue: true });
        return;
      }
      this.subscription.confirm();
    } else if (this.subscription) {
      // The answer to an earlier unsubscribe, handled after a newer subscribe: subscribe again.
      this.subscription.reset();
      this.subscription.request();
      return;
    }
    this.host.event(data);
  }
}
