import { backoffDelay } from './backoff.js';
import type { ChatError } from './errors.js';
import type { ChatHttp } from './http.js';
import { Outbox, type PendingSend } from './outbox.js';
import {
  holesToRecheck,
  initialSync,
  type RoomSyncDecision,
  type RoomSyncEvent,
  type RoomSyncState,
  step,
} from './room-sync.js';
import { type ChatSocketOptions, subscriptionOptions } from './socket-types.js';
import { Subscription } from './subscription.js';
import { asChatError } from './transport.js';
import type { ClientFrame, Message, Room } from './wire.js';

/** Confirmed holes asked about again per catch-up pass. */
const HOLE_CHECKS_PER_PASS = 5;

/** What a followed room needs from the socket that owns it. */
export interface RoomHost {
  readonly http: ChatHttp;
  readonly options: ChatSocketOptions;
  /** Sends a frame on the current socket; false when none is open. */
  write(frame: ClientFrame): boolean;
  /** Pings now: an unanswered request may mean a dead connection. */
  probe(): void;
  /** Drops the connection (it stopped answering); it reconnects. */
  drop(): void;
  /** Whether this room object is still the one followed (not unfollowed, closed or followed anew). */
  isCurrent(room: FollowedRoom): boolean;
  /** Emits a message (and records it as delivered). */
  deliver(message: Message): void;
  synced(roomId: string, lastMessageId: number): void;
  outbox(roomId: string, pending: readonly PendingSend[]): void;
  error(error: ChatError): void;
}

/**
 * One room a {@link ChatSocket} follows: its {@link Subscription}, its sync state (the pure decisions of
 * `room-sync.ts`, carried out here: history requests, gap and room-check timers), its {@link Outbox}, and its
 * typing and read pointer, which need a confirmed subscription.
 */
export class FollowedRoom {
  readonly subscription: Subscription;
  readonly outbox: Outbox;
  sync: RoomSyncState;
  /** The room as the last subscription confirmed it. */
  snapshot: Room | undefined;
  private readWanted = 0;
  private readSent = 0;
  /** Epoch ms of the last read frame, and the retry of one API Gateway may have refused. */
  private readSentAt = 0;
  private readRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private typingActive = false;
  private typingSentAt = 0;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private catchingUp = false;
  private catchUpAgain = false;
  private catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private checkTimer: ReturnType<typeof setTimeout> | undefined;
  /** Messages that came (through the queue, or ahead of the answer) before the first subscription's answer. */
  private readonly early: Message[] = [];

  constructor(
    readonly id: string,
    after: number | undefined,
    private readonly host: RoomHost,
  ) {
    const { options } = host;
    this.sync = initialSync(after);
    this.subscription = new Subscription(
      `room ${id}`,
      {
        write: () => host.write({ type: 'subscribe', room_id: id }),
        unanswered: () => host.probe(),
        exhausted: (error) => host.error(error),
      },
      subscriptionOptions(options),
      id,
    );
    this.outbox = new Outbox(
      id,
      {
        write: (item) =>
          this.write({
            type: 'message',
            room_id: id,
            content: item.content,
            client_message_id: item.clientMessageId,
          }),
        unresponsive: () => host.drop(),
        changed: (pending) => host.outbox(id, pending),
      },
      {
        ackTimeoutMs: options.ackTimeoutMs,
        maxAttempts: options.maxAttempts,
        retry: options.retry,
        random: options.random,
      },
    );
  }

  /** Sets the watermark from the caller's history, unless one is known already. */
  startAfter(after: number | undefined): void {
    if (after !== undefined && this.sync.watermark === undefined)
      this.sync = { ...this.sync, watermark: after };
  }

  /** The server confirmed the subscription: deliver what waited, catch up if behind, send what waited. */
  subscribed(snapshot: Room): void {
    this.snapshot = snapshot;
    const decision = this.step({ type: 'subscribed', lastMessageId: snapshot.last_message_id });
    this.subscription.confirm();
    // What came before the watermark was known: the ones after it are delivered, the rest dropped.
    for (const message of this.early.splice(0)) this.accept(message);
    if (decision.catchUp) this.catchUp(false);
    else {
      this.host.synced(this.id, this.sync.watermark ?? 0);
      this.scheduleCheck();
    }
    this.flushRead();
    this.outbox.pump();
  }

  /** Another answer carried the room (a `room` frame): catch up if it names a newer message. */
  learned(lastMessageId: number): void {
    if (!this.subscription.confirmed) return;
    if (this.step({ type: 'room', lastMessageId }).catchUp) this.catchUp(false);
  }

  /**
   * Delivers a message once: ids at or below the watermark, or already seen above it, are dropped (unless a
   * confirmed hole shows up after all). Returns whether it was delivered.
   */
  accept(message: Message): boolean {
    const decision = this.step({ type: 'message', id: message.id });
    if (decision.verdict === 'hold') {
      // Before the subscription's answer the watermark is unknown: wait for it.
      this.early.push(message);
      return false;
    }
    if (decision.verdict !== 'deliver') return false;
    this.host.deliver(message);
    if (!decision.gapOpen) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    } else if (this.gapTimer === undefined && this.subscription.confirmed) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        if (this.sync.seen.size > 0) this.catchUp(false);
      }, this.host.options.gapCheckMs ?? 2_000);
    }
    return true;
  }

  /**
   * API Gateway answered some frame itself (throttled, failed) without saying which: this room's requests
   * awaiting an answer take it as theirs and are retried. A read sent within `requestTimeoutMs` may be the
   * frame too: it is sent again after a backoff (moving the read pointer to the same id twice is harmless).
   */
  gatewayError(error: ChatError): void {
    this.subscription.failed(error);
    this.outbox.fail(error);
    const { options } = this.host;
    if (this.readSent === 0 || Date.now() - this.readSentAt > (options.requestTimeoutMs ?? 10_000)) return;
    this.readSent = 0;
    clearTimeout(this.readRetryTimer);
    this.readRetryTimer = setTimeout(() => this.flushRead(), backoffDelay(0, options.retry, options.random));
  }

  /** The server no longer has the subscription: subscribe again, then send what it may have refused. */
  resubscribe(): void {
    this.subscription.reset();
    this.readSent = 0;
    this.typingActive = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = undefined;
    this.subscription.request();
  }

  /** The socket is gone: the subscription is void, the send in flight goes again after reconnecting. */
  lost(): void {
    this.subscription.reset();
    this.outbox.lost();
    this.typingActive = false;
    this.stopTimers();
    // Reads already sent may have been lost with the socket: send the newest again.
    this.readSent = 0;
  }

  /** Stops everything and rejects whoever waits (unfollow, close, a refusal). */
  dispose(error: Error): void {
    this.stopTimers();
    this.early.length = 0;
    this.subscription.dispose(error);
    this.outbox.dispose(error);
  }

  typing(): void {
    const now = Date.now();
    const refreshMs = this.host.options.typingRefreshMs ?? 3_000;
    if (!this.typingActive || now - this.typingSentAt >= refreshMs) {
      if (this.write({ type: 'typing', room_id: this.id, is_typing: true })) {
        this.typingActive = true;
        this.typingSentAt = now;
      }
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), this.host.options.typingIdleMs ?? 3_000);
  }

  stopTyping(): void {
    clearTimeout(this.typingTimer);
    this.typingTimer = undefined;
    if (!this.typingActive) return;
    this.typingActive = false;
    this.write({ type: 'typing', room_id: this.id, is_typing: false });
  }

  markRead(messageId: number): void {
    if (messageId <= this.readWanted) return;
    this.readWanted = messageId;
    this.flushRead();
  }

  /** Frames of a room need its confirmed subscription (the server refuses them otherwise). */
  private write(frame: ClientFrame): boolean {
    return this.subscription.confirmed && this.host.write(frame);
  }

  private flushRead(): void {
    if (this.readWanted <= this.readSent) return;
    if (this.write({ type: 'read', room_id: this.id, message_id: this.readWanted })) {
      this.readSent = this.readWanted;
      this.readSentAt = Date.now();
    }
  }

  private step(event: RoomSyncEvent): RoomSyncDecision {
    const decision = step(this.sync, event);
    this.sync = decision.state;
    return decision;
  }

  /**
   * Fetches everything after the watermark, page by page, and delivers what was not seen yet; asks again
   * about confirmed holes (a send that completed late may have filled one without a push). `routine` is the
   * periodic room check: it reports `synced` only if it found something.
   */
  private catchUp(routine: boolean): void {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return;
    }
    clearTimeout(this.checkTimer);
    this.checkTimer = undefined;
    this.catchingUp = true;
    this.catchUpAgain = false;
    const { http, options } = this.host;
    let found = 0;
    const run = async () => {
      for (const id of holesToRecheck(this.sync).slice(-HOLE_CHECKS_PER_PASS)) {
        const page = await http.listMessages(this.id, { after: id - 1, limit: 1 });
        if (!this.host.isCurrent(this)) return;
        const message = page.results[0];
        if (message?.id === id) found += this.accept(message) ? 1 : 0;
        else this.step({ type: 'hole_missing', id });
      }
      let cursor = this.sync.watermark ?? 0;
      for (;;) {
        const page = await http.listMessages(this.id, { after: cursor, limit: 100 });
        if (!this.host.isCurrent(this)) return;
        for (const message of page.results) found += this.accept(message) ? 1 : 0;
        cursor = page.results.at(-1)?.id ?? cursor;
        if (!page.has_more) break;
      }
      const decision = this.step({ type: 'history', through: cursor });
      if (decision.gapOpen && !this.catchUpAgain) {
        this.catchUpTimer = setTimeout(() => this.catchUp(false), options.gapCheckMs ?? 2_000);
      }
    };
    run()
      .then(() => {
        this.catchingUp = false;
        if (!this.host.isCurrent(this)) return;
        if (this.catchUpAgain) this.catchUp(false);
        else if (this.sync.seen.size === 0) {
          if (!routine || found > 0) this.host.synced(this.id, this.sync.watermark ?? 0);
          this.scheduleCheck();
        }
      })
      .catch((error: unknown) => {
        this.catchingUp = false;
        if (!this.host.isCurrent(this)) return;
        this.host.error(asChatError(error, 'catch_up_failed'));
        // Try again while this socket lives; a reconnect catches up anyway.
        if (this.subscription.confirmed) {
          clearTimeout(this.catchUpTimer);
          this.catchUpTimer = setTimeout(() => this.catchUp(false), 3_000);
        }
      });
  }

  /** Arms the periodic room check: history is asked for anything newer than what was delivered. */
  private scheduleCheck(): void {
    const every = this.host.options.roomCheckMs ?? 60_000;
    clearTimeout(this.checkTimer);
    this.checkTimer = undefined;
    if (every <= 0 || !this.subscription.confirmed) return;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      if (this.host.isCurrent(this) && this.subscription.confirmed) this.catchUp(true);
    }, every);
  }

  private stopTimers(): void {
    clearTimeout(this.typingTimer);
    clearTimeout(this.gapTimer);
    clearTimeout(this.catchUpTimer);
    clearTimeout(this.checkTimer);
    clearTimeout(this.readRetryTimer);
    this.readRetryTimer = undefined;
    this.typingTimer = undefined;
    this.gapTimer = undefined;
    this.catchUpTimer = undefined;
    this.checkTimer = undefined;
  }
}
