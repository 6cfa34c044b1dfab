import type { RecordFilter } from './stream.js';

/**
 * The records the notifications' consumer (`lambdas/stream/notify.ts`) reads: room items, added (a new room:
 * tell the team if nobody is online) or changed (a staff reply: email a customer who is away). The same
 * shape as the queue's filter, kept apart so that either consumer can narrow its own without the other.
 */
export const NOTIFY_RECORD_FILTER: RecordFilter = {
  eventNames: ['INSERT', 'MODIFY'],
  sortKeyEquals: 'ROOM',
};

/** The defaults of the email settings (`lambdas/runtime/email-config.ts`). */
export const EMAIL_DEFAULTS = {
  /** At most one reply email per conversation per this many seconds: "a few minutes". */
  replyThrottleSeconds: 300,
  /** A confirmation link works once, for this long (a day: people read mail late). */
  confirmationTtlSeconds: 24 * 3600,
  /** Confirmation emails one person may ask for per hour, and one address may get (each reaches an inbox). */
  confirmationsPerHour: 3,
} as const;

/** The path of the confirmation link; `{token}` is the one-time secret. */
export const EMAIL_CONFIRMATION_PATH = '/api/chat/email-confirmations';
